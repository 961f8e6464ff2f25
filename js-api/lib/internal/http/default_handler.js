'use strict';

// The handler `weir serve` runs without a handler file: the files under the root,
// for GET and HEAD, moved from disk to the connection natively (ranges and
// conditional requests included).

const { sendFile } = require('internal/http/send_file');

function create(root) {
  return function serveFiles(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Allow': 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    return sendFile(req, res, req.url, { root });
  };
}

module.exports = { create };
