// Deno peer. usage: deno run -A deno-server.js PORT
//                   deno run -A --unstable-net deno-server.js PORT PROCESSES
// With PROCESSES > 1 ("all cores"), this process starts the others and each listens
// on the port with SO_REUSEPORT (an unstable API in Deno 2, hence the flag).
const [port, processes = '1'] = Deno.args;
const big = new Uint8Array(64 * 1024).fill(120);
if (!Deno.env.get('BENCH_CHILD')) {
  for (let i = 1; i < Number(processes); i++) {
    new Deno.Command(Deno.execPath(), {
      args: ['run', '-A', '--unstable-net', new URL(import.meta.url).pathname, port, '1'],
      env: { BENCH_CHILD: '1' },
    }).spawn();
  }
}
const reusePort = Number(processes) > 1 || Deno.env.get('BENCH_CHILD') === '1';
Deno.serve({ port: Number(port), hostname: '127.0.0.1', reusePort, onListen() { console.log('listening'); } }, (req) => {
  const path = new URL(req.url).pathname;
  if (path === '/upload') return req.arrayBuffer().then((b) => new Response(`${b.byteLength}\n`));
  if (path === '/64k') {
    return new Response(big, { headers: { 'content-type': 'application/octet-stream' } });
  }
  if (path === '/ua' && !req.headers.get('user-agent')) return new Response('no agent\n');
  return new Response('hello world\n', { headers: { 'content-type': 'text/plain' } });
});
