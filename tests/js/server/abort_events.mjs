// The handler of tests/server_http1.rs's abort test: each request records the events
// its req and res emit under its path; /log returns them. /write writes 100 MB with
// backpressure, /idle never answers, /read-then-write reads the (empty) body first.
const chunk = Buffer.alloc(64 * 1024, 'x');
const log = {};

export default function (req, res) {
  const url = new URL(req.url, 'http://h');
  if (url.pathname === '/log') return res.end(JSON.stringify(log));
  const ev = [];
  log[url.pathname + url.search] = ev;
  for (const e of ['aborted', 'close', 'end']) req.on(e, () => ev.push('req-' + e));
  req.on('error', (e) => ev.push(`req-error:${e.code}:${e.message}`));
  for (const e of ['close', 'finish']) res.on(e, () => ev.push('res-' + e));
  res.on('error', (e) => ev.push(`res-error:${e.code}`));
  if (url.pathname === '/idle') return;
  let sent = 0;
  const next = () => {
    while (sent < 100e6) {
      sent += chunk.length;
      if (!res.write(chunk)) return res.once('drain', next);
    }
    res.end();
  };
  if (url.pathname === '/read-then-write') {
    req.resume();
    req.on('end', next);
  } else {
    next();
  }
}
