'use strict';

// The handler `weir serve` runs without a handler file: the files under the root,
// for GET and HEAD, moved from disk to the connection natively.

const { kId } = require('internal/http/incoming');
const { kNative } = require('internal/http/outgoing');
const { kNativeDone } = require('internal/streams/native');
const binding = internalBinding('http');

function create(root) {
  return function serveFiles(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Allow': 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    return sendNative(req, res, root, req.url);
  };
}

// Hands the exchange to native code; `res` finishes when the file has been handed
// to the connection.
function sendNative(req, res, root, urlPath) {
  res[kNative] = true;
  return binding.sendFile(req[kId], root, urlPath).then((ok) => {
    if (ok) res[kNativeDone](null);
    else res._clientGone();
  });
}

module.exports = { create, sendNative };
