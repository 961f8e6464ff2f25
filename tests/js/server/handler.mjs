// The handler the server integration tests run: one route per behaviour under test.
import { pipeline, PassThrough, Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

const stats = { closed: 0, aborted: 0, finished: 0, echoJsChunks: [], echoErrors: 0 };

// Counts the chunks JavaScript sees on `req` (a native pipe shows none).
function countChunks(req) {
  let n = 0;
  const push = req.push;
  req.push = function(chunk) {
    if (chunk !== null) n++;
    return push.call(this, chunk);
  };
  return () => n;
}
const chunk64k = Buffer.alloc(64 * 1024, 'w');

// Writes `total` bytes in 64 KiB chunks, waiting for 'drain' whenever write() says so.
function writeMany(res, total, done) {
  let sent = 0;
  const next = () => {
    while (sent < total) {
      const n = Math.min(chunk64k.length, total - sent);
      sent += n;
      const ok = res.write(n === chunk64k.length ? chunk64k : chunk64k.subarray(0, n));
      if (!ok) return res.once('drain', next);
    }
    done();
  };
  next();
}

export default async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const q = url.searchParams;
  res.on('close', () => {
    stats.closed++;
    if (!res.writableFinished) stats.aborted++;
  });
  res.on('finish', () => stats.finished++);
  switch (url.pathname) {
    case '/hello':
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.setHeader('x-powered-by', 'weir tests');
      return res.end('hello world\n');
    case '/headers':
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        httpVersionMajor: req.httpVersionMajor,
        httpVersionMinor: req.httpVersionMinor,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        remoteFamily: req.socket.remoteFamily,
        encrypted: req.socket.encrypted,
        sameSocket: res.socket === req.socket && req.connection === req.socket,
        // Stream destruction sets `req.socket = null`; the response keeps its socket.
        socketKept: (() => {
          const s = res.socket;
          req.socket = null;
          return req.socket === null && res.socket === s && res.connection === s;
        })(),
        isReadable: req instanceof Readable,
        isWritable: res instanceof Writable,
      }));
    case '/echo': {
      // req -> res with nothing in between: a native pipe.
      const seen = countChunks(req);
      res.setHeader('content-type', 'application/octet-stream');
      return pipeline(req, res, (err) => {
        stats.echoJsChunks.push(seen());
        if (err) stats.echoErrors++;
      });
    }
    case '/echo-js': {
      // The same through a PassThrough: chunks cross JavaScript.
      const seen = countChunks(req);
      res.setHeader('content-type', 'application/octet-stream');
      return pipeline(req, new PassThrough(), res, (err) => {
        stats.echoJsChunks.push(seen());
        if (err) stats.echoErrors++;
      });
    }
    case '/count': {
      let n = 0;
      for await (const c of req) n += c.length;
      return res.end(String(n));
    }
    case '/stream': {
      const total = Number(q.get('bytes'));
      res.setHeader('content-length', total);
      return writeMany(res, total, () => res.end());
    }
    case '/chunked': {
      const total = Number(q.get('bytes'));
      return writeMany(res, total, () => res.end());
    }
    case '/fields': {
      // `n` response fields, the last with a long name and a long value.
      const n = Number(q.get('n'));
      for (let i = 0; i < n - 1; i++) res.setHeader(`x-field-${i}`, `value ${i}`);
      res.setHeader(`x-${'long'.repeat(30)}`, 'v'.repeat(Number(q.get('len'))));
      return res.end('fields\n');
    }
    case '/status':
      res.statusCode = Number(q.get('code'));
      res.statusMessage = q.get('message') ?? undefined;
      return res.end();
    case '/throw':
      throw new Error('thrown before the head');
    case '/reject':
      await sleep(1);
      throw new Error('rejected before the head');
    case '/fail-after-head':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial body');
      await sleep(20);
      throw new Error('failed after the head');
    case '/spin':
      for (;;) {}
    case '/oom': {
      const hog = [];
      for (;;) hog.push(new Array(1e5).fill(Math.random()));
    }
    case '/slow':
      await sleep(Number(q.get('ms') ?? 500));
      return res.end('slow done\n');
    case '/trailers':
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('body with trailers');
      res.addTrailers({ 'x-checksum': 'abc123' });
      return res.end();
    case '/hang':
      // Never responds; the client gives up.
      return;
    case '/stats':
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ ...stats, rss: process.memoryUsage().rss }));
    default:
      res.statusCode = 404;
      return res.end('not found\n');
  }
}
