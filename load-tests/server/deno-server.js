// Deno peer. usage: deno run -A deno-server.js PORT
const big = new Uint8Array(64 * 1024).fill(120);
Deno.serve({ port: Number(Deno.args[0]), hostname: '127.0.0.1', onListen() { console.log('listening'); } }, (req) => {
  const path = new URL(req.url).pathname;
  if (path === '/64k') {
    return new Response(big, { headers: { 'content-type': 'application/octet-stream' } });
  }
  if (path === '/ua' && !req.headers.get('user-agent')) return new Response('no agent\n');
  return new Response('hello world\n', { headers: { 'content-type': 'text/plain' } });
});
