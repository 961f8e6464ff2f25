// The handler of tests/server_h1_wire.rs's response-listener tests: listeners on `res`
// that throw. Unlike handler.mjs it adds no listener to every response, so a response
// ended in one call takes the path that never makes its Writable state. Each request
// records the events its res emits under `?tag=`; `/seen?tag=` returns them.
import { pipeline, Readable } from 'node:stream';
import EventEmitter from 'node:events';

// A listener's rejected promise goes to its emitter's Symbol.for('nodejs.rejection')
// method (no route here but /async-finish-rejects has async listeners).
EventEmitter.captureRejections = true;

const seen = {};
const chunk = Buffer.alloc(64 * 1024, 'd');

export default function (req, res) {
  const url = new URL(req.url, 'http://h');
  const tag = url.searchParams.get('tag') ?? '';
  if (url.pathname === '/seen') return res.end(JSON.stringify(seen[tag] ?? null));
  if (url.pathname === '/hello') return res.end('hello\n');
  const ev = (seen[tag] = []);
  res.on('close', () => ev.push('close'));
  const how = url.searchParams.get('how');
  switch (url.pathname) {
    case '/finish-throws': {
      res.on('finish', () => { throw new Error('a finish listener threw'); });
      if (how === 'late') return setTimeout(() => res.end('ok\n'), 10);
      if (how === 'stream') {
        res.write('o');
        return res.end('k\n');
      }
      return res.end('ok\n');
    }
    case '/close-throws':
      res.on('close', () => { throw new Error('a close listener threw'); });
      return res.end('ok\n');
    case '/end-callback-throws':
      return res.end('ok\n', () => { throw new Error('an end callback threw'); });
    case '/drain-throws': {
      // Writes until write() says to wait; the 'drain' listener throws, so the
      // response can never be finished and must be cut.
      res.setHeader('content-length', String(1024 * 1024 * 1024));
      while (res.write(chunk));
      return res.once('drain', () => { throw new Error('a drain listener threw'); });
    }
    case '/write-cb-throws': {
      // The last write's callback throws; end() came while that write waited for the
      // client to read.
      res.on('finish', () => ev.push('finish'));
      res.write(Buffer.alloc(1024 * 1024, 'x'));
      res.write('TAIL\n', () => { throw new Error('a write callback threw'); });
      return res.end();
    }
    case '/end-cb-throws-streamed':
      // A streamed response whose end() callback throws: 'finish' is still emitted.
      res.on('finish', () => ev.push('finish'));
      res.write('o');
      return res.end('k\n', () => { throw new Error('an end callback threw'); });
    case '/callbacks-after-leaving': {
      // Writes more than a client that leaves takes: each callback hears of it, and
      // each throws.
      for (let i = 0; i < 8; i++) {
        res.write(Buffer.alloc(1024 * 1024, 'x'), (e) => {
          ev.push(`cb${i}`);
          if (e) throw new Error(`write callback ${i} threw`);
        });
      }
      return res.end((e) => {
        ev.push('end-cb');
        if (e) throw new Error('the end callback threw');
      });
    }
    case '/req-timeout-throws':
      // A request whose body does not come: its own 'timeout' listener throws.
      req.on('timeout', () => { throw new Error('a request timeout listener threw'); });
      req.on('aborted', () => ev.push('aborted'));
      return res.setTimeout(100);
    case '/never':
      // Never answers.
      return;
    case '/listeners-after-a-throw':
      // The first listener of 'finish' and of 'close' throws: the others still hear
      // them, pipeline()'s among them.
      res.on('finish', () => { throw new Error('the first finish listener threw'); });
      res.on('finish', () => ev.push('finish2'));
      res.prependListener('close', () => { throw new Error('the first close listener threw'); });
      return pipeline(Readable.from(['o', 'k\n']), res, (e) => ev.push(`pipeline:${e?.code ?? 'ok'}`));
    case '/pipe-close-throws': {
      // The client leaves a long piped response; the first 'close' listener throws.
      res.prependListener('close', () => { throw new Error('the first close listener threw'); });
      const src = Readable.from((function* () {
        for (let i = 0; i < 64; i++) yield chunk;
      })());
      src.on('close', () => ev.push('src-close'));
      return pipeline(src, res, (e) => ev.push(`pipeline:${e?.code ?? 'ok'}`));
    }
    case '/late-write-throws':
      // Once the client has left, a write whose callback throws.
      res.on('close', () => setTimeout(() => res.write('late', () => {
        ev.push('late-cb');
        throw new Error('a late write callback threw');
      }), 10));
      return res.write('partial');
    case '/prefinish-throws':
      res.on('prefinish', () => { throw new Error('a prefinish listener threw'); });
      res.on('finish', () => ev.push('finish'));
      res.write('o');
      return res.end('k\n');
    case '/async-finish-rejects':
      // An async 'finish' listener whose promise rejects, and one after it.
      res[Symbol.for('nodejs.rejection')] = (err, event) => ev.push(`rejection:${event}:${err.message}`);
      res.on('finish', async () => { throw new Error('rejected'); });
      res.on('finish', () => ev.push('finish2'));
      return res.end('ok\n');
    case '/end-then-throw':
      // Not a listener: the handler throws once it has ended its response, which had
      // a write before (so it is a Writable still flushing when the handler throws).
      res.write('a'.repeat(100000));
      res.end('END\n');
      throw new Error('thrown after end');
    case '/timeout-throws':
      // Never answers; the response's 'timeout' listener throws.
      return res.setTimeout(100, () => { throw new Error('a timeout listener threw'); });
    default:
      res.statusCode = 404;
      return res.end();
  }
}
