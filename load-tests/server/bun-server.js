// Bun peer (HTTP/1.1; Bun.serve has no h2c). usage: bun bun-server.js PORT
const big = new Uint8Array(64 * 1024).fill(120);
Bun.serve({
  port: Number(process.argv[2]),
  hostname: '127.0.0.1',
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === '/64k') {
      return new Response(big, { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (path === '/ua' && !req.headers.get('user-agent')) return new Response('no agent\n');
    return new Response('hello world\n', { headers: { 'content-type': 'text/plain' } });
  },
});
console.log('listening');
