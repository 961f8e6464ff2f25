// The weir side of the server benchmark: a small body, a 64 KiB body, (/ua) the
// small body after reading one request field, and (/upload) the length of a request
// body read to its end.
const big = Buffer.alloc(64 * 1024, 'x');

export default function (req, res) {
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
