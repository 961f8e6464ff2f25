// Node peer of the file-serving benchmark: fs.createReadStream(file).pipe(res) over
// http.createServer (HTTP/1.1) or http2.createServer (h2c), with a single-range
// parser so that `Range: bytes=a-b` gets 206 and exactly those bytes.
// usage: node node-server.js PORT h1|h2 ROOT [workers]
'use strict';
const cluster = require('cluster');
const fs = require('fs');
const path = require('path');
const [port, proto = 'h1', rootArg = '.', workers = '1'] = process.argv.slice(2);
const root = path.resolve(rootArg);

// One range of `size` bytes from a Range header: {start, end} (inclusive), null when
// the header is absent or not a single byte range (the whole file is sent), or
// 'unsatisfiable' (416).
function parseRange(header, size) {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start, end;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null;
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function handler(req, res) {
  let file;
  try {
    file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  } catch {
    res.writeHead(400);
    return res.end();
  }
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403);
    return res.end();
  }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('Not Found\n');
    }
    const range = parseRange(req.headers.range, st.size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'content-range': `bytes */${st.size}` });
      return res.end();
    }
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    let opts;
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${st.size}`;
      headers['content-length'] = range.end - range.start + 1;
      res.writeHead(206, headers);
      opts = { start: range.start, end: range.end };
    } else {
      headers['content-length'] = st.size;
      res.writeHead(200, headers);
    }
    if (req.method === 'HEAD' || headers['content-length'] === 0) return res.end();
    const stream = fs.createReadStream(file, opts);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}

if (cluster.isPrimary && Number(workers) > 1) {
  for (let i = 0; i < Number(workers); i++) cluster.fork();
} else {
  const server = proto === 'h2' ? require('http2').createServer(handler) : require('http').createServer(handler);
  server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
}
