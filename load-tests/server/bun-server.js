// Bun peer (HTTP/1.1; Bun.serve has no h2c). usage: bun bun-server.js PORT [PROCESSES]
// With PROCESSES > 1 ("all cores"), this process starts the others and each listens
// on the port with SO_REUSEPORT, as Bun's documentation has it for using every core.
const [port, processes = '1'] = process.argv.slice(2);
const big = new Uint8Array(64 * 1024).fill(120);
if (!process.env.BENCH_CHILD) {
  for (let i = 1; i < Number(processes); i++) {
    Bun.spawn([process.execPath, import.meta.path, port, '1'], {
      env: { ...process.env, BENCH_CHILD: '1' },
      stdout: 'inherit',
      stderr: 'inherit',
    });
  }
}
Bun.serve({
  port: Number(port),
  hostname: '127.0.0.1',
  reusePort: true,
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === '/upload') return req.arrayBuffer().then((b) => new Response(`${b.byteLength}\n`));
    if (path === '/64k') {
      return new Response(big, { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (path === '/ua' && !req.headers.get('user-agent')) return new Response('no agent\n');
    return new Response('hello world\n', { headers: { 'content-type': 'text/plain' } });
  },
});
console.log('listening');
