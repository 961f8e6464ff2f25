'use strict';

// The handler `weir serve` runs without a handler file: the files under the root,
// for GET and HEAD, moved from disk to the connection natively (ranges and
// conditional requests included).

const { sendFile } = require('internal/http/send_file');

// The path of a request-target: an absolute-form one (`http://host/path`, which a
// server must accept) names its file by the part after the authority.
function pathOf(url) {
  if (url.startsWith('/')) return url;
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}

function create(root) {
  return function serveFiles(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Allow': 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method Not Allowed\n');
      return;
    }
    return sendFile(req, res, pathOf(req.url), { root });
  };
}

module.exports = { create };
