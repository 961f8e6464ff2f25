// Node peer: http.createServer (HTTP/1.1) or http2.createServer (h2c), same routes as
// weir-handler.mjs. usage: node node-server.js PORT h1|h2 [workers]
'use strict';
const cluster = require('cluster');
const [port, proto = 'h1', workers = '1'] = process.argv.slice(2);
const big = Buffer.alloc(64 * 1024, 'x');

function handler(req, res) {
  if (req.url === '/upload') {
    let n = 0;
    req.on('data', (c) => { n += c.length; });
    req.on('end', () => res.end(`${n}\n`));
    return;
  }
  if (req.url === '/64k') {
    res.setHeader('content-type', 'application/octet-stream');
    return res.end(big);
  }
  res.setHeader('content-type', 'text/plain');
  if (req.url === '/ua' && !req.headers['user-agent']) return res.end('no agent\n');
  res.end('hello world\n');
}

if (cluster.isPrimary && Number(workers) > 1) {
  for (let i = 0; i < Number(workers); i++) cluster.fork();
} else {
  const server = proto === 'h2' ? require('http2').createServer(handler) : require('http').createServer(handler);
  server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
}
