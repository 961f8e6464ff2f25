// The weir side of the server benchmark: a small body and a 64 KiB body.
const big = Buffer.alloc(64 * 1024, 'x');

export default function (req, res) {
  if (req.url === '/64k') {
    res.setHeader('content-type', 'application/octet-stream');
    return res.end(big);
  }
  res.setHeader('content-type', 'text/plain');
  res.end('hello world\n');
}
