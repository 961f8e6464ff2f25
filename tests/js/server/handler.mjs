// The handler the server integration tests run: one route per behaviour under test.
import { pipeline, PassThrough, Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createReadStream } from 'node:fs';

const stats = {
  closed: 0, aborted: 0, finished: 0, echoJsChunks: [], echoErrors: 0, echoFinished: [],
  reqEvents: {}, waiting: [], slowRead: {}, portErrors: [],
};

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
    case '/early-hints': {
      // Two links, a field of its own, then a bad link (throws), then hints after the
      // head (not sent).
      const sent = res.writeEarlyHints({
        link: ['</a.css>; rel=preload; as=style', '</b.js>; rel=preload; as=script'],
        'x-hint': 'one',
      });
      let threw = null;
      try {
        res.writeEarlyHints({ link: 'a.css' });
      } catch (e) {
        threw = e.code;
      }
      res.setHeader('content-type', 'application/json');
      res.flushHeaders();
      const after = res.writeEarlyHints({ link: '</c.css>; rel=preload' });
      return res.end(JSON.stringify({ sent, threw, after }));
    }
    case '/headers-folded':
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({
        headers: req.headers,
        keys: Object.keys(req.headers),
        plain: Object.getPrototypeOf(req.headers) === Object.prototype,
        distinct: req.headersDistinct,
      }));
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
        localAddress: req.socket.localAddress,
        localPort: req.socket.localPort,
        address: req.socket.address(),
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
        // As in Node, the callback comes once the response has finished.
        stats.echoFinished.push(res.writableFinished);
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
    case '/count-upto': {
      // Reads the body until it passes ?limit=, leaving the loop with `break`: as in
      // Node, the request is let go of and the answer still goes out.
      const limit = Number(q.get('limit'));
      let n = 0;
      for await (const c of req) {
        n += c.length;
        if (n > limit) break;
      }
      // ?throw: the handler fails after letting go of the request (500 still).
      if (q.has('throw')) throw new Error('failed after the loop');
      res.statusCode = n > limit ? 413 : 200;
      return res.end(`${n > limit ? 'too large' : n}\n`);
    }
    case '/echo-touched': {
      // The request touched before the pipe (a listener, an encoding, a look at its
      // state): its bytes go through JavaScript, and the response still ends.
      const how = q.get('how');
      if (how === 'listener') req.on('error', () => {});
      else if (how === 'encoding') req.setEncoding('latin1');
      else if (how === 'readable' && !req.readable) return res.end('not readable');
      return pipeline(req, res, (err) => { if (err) stats.echoErrors++; });
    }
    case '/echo-then-head': {
      // As in Node, the head goes with the first bytes: set after the call, it counts.
      pipeline(req, res, () => {});
      res.setHeader('x-after', '1');
      res.statusCode = 202;
      return;
    }
    case '/echo-later': {
      // Starts reading the body only after ?ms= (the bytes sent before wait for it).
      res.setHeader('content-type', 'application/octet-stream');
      setTimeout(() => pipeline(req, res, () => {}), Number(q.get('ms') ?? 300));
      return;
    }
    case '/trailers-in': {
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ trailers: req.trailers, raw: req.rawTrailers })));
      return;
    }
    case '/count-on-end': {
      // Answers on 'end' only, as many handlers do: a body that never ends cleanly
      // leaves the answer to the server.
      let n = 0;
      req.on('data', (c) => { n += c.length; });
      req.on('end', () => res.end(String(n)));
      return;
    }
    case '/slow-read': {
      // Reads the body a chunk every 50 ms, as a handler writing it somewhere slow:
      // how the body ended is told on /stats, by tag.
      const tag = q.get('tag');
      let n = 0;
      stats.slowRead[tag] = 'reading';
      req.on('data', (c) => {
        n += c.length;
        req.pause();
        setTimeout(() => req.resume(), 50);
      });
      req.on('end', () => { stats.slowRead[tag] = `end after ${n}`; res.end(String(n)); });
      req.on('error', (e) => { stats.slowRead[tag] = `error ${e.code} after ${n}`; });
      return;
    }
    case '/chunk-count': {
      // Starts reading after ?wait= ms; answers with the bytes and the 'data' events.
      setTimeout(() => {
        let n = 0;
        let k = 0;
        req.on('data', (c) => { n += c.length; k++; });
        req.on('end', () => res.end(`${n} ${k}`));
      }, Number(q.get('wait') ?? 0));
      return;
    }
    case '/count': {
      if (req.headers.expect) res.writeContinue();
      let n = 0;
      for await (const c of req) n += c.length;
      return res.end(String(n));
    }
    case '/stream': {
      const total = Number(q.get('bytes'));
      res.setHeader('content-length', total);
      return writeMany(res, total, () => res.end());
    }
    case '/read-then-whole': {
      // Reads the body to its end (after `wait` ms), then answers whole with `bytes`
      // bytes.
      if (q.has('wait')) await sleep(Number(q.get('wait')));
      let n = 0;
      for await (const c of req) n += c.length;
      res.setHeader('x-body-bytes', String(n));
      return res.end(Buffer.alloc(Number(q.get('bytes')), 'r'));
    }
    case '/write-then-whole':
      // A byte written first (the stream path), then a large body in one end().
      res.write('a');
      return res.end(Buffer.alloc(Number(q.get('bytes')), 'w'));
    case '/whole':
      // One call: the body reaches the protocol side whole.
      return res.end(Buffer.alloc(Number(q.get('bytes')), 'w'));
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
    case '/flush-then-wait':
      // Node's flushHeaders: the head goes now, the body later.
      res.setHeader('content-type', 'text/plain');
      res.flushHeaders();
      await sleep(Number(q.get('ms') ?? 800));
      return res.end('late\n');
    case '/slow':
      await sleep(Number(q.get('ms') ?? 500));
      // ?bytes=N: then a body of N bytes given whole.
      return res.end(q.has('bytes') ? Buffer.alloc(Number(q.get('bytes')), 'w') : 'slow done\n');
    case '/trailers':
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('body with trailers');
      // ?forbidden=NAME: a trailer that frames or routes the message throws, and
      // the refusal is told in a trailer of its own. As in Node, each call replaces
      // the trailers of the one before.
      res.addTrailers({ 'x-early': 'replaced' });
      try {
        res.addTrailers({ 'x-checksum': 'abc123', ...(q.has('forbidden') ? { [q.get('forbidden')]: '1' } : {}) });
      } catch (e) {
        res.addTrailers({ 'x-checksum': 'abc123', 'x-refused': e.code });
      }
      return res.end();
    case '/end-view': {
      // As in Node, end() and write() take a string, a Buffer or a Uint8Array, not
      // another view; a refused one fixes and counts nothing.
      const caught = [];
      for (const view of [new DataView(new ArrayBuffer(2)), new Uint16Array(1)]) {
        try { res.end(view); } catch (e) { caught.push(e.code); }
        try { res.write(view); } catch (e) { caught.push(e.code); }
      }
      const text = `${caught.join(' ')} ${res.headersSent}`;
      res.setHeader('content-length', Buffer.byteLength(text));
      return res.end(new Uint8Array(Buffer.from(text)));
    }
    case '/bad-status': {
      // An invalid code throws from end() and changes nothing: the handler answers again.
      res.statusCode = Number(q.get('code'));
      let caught = null;
      try { res.end('never'); } catch (e) { caught = e.code; }
      res.statusCode = 500;
      return res.end(JSON.stringify({ caught, headersSent: res.headersSent }));
    }
    case '/bad-status-uncaught':
      res.statusCode = 1000;
      return q.has('write') ? res.write('never') : res.end('never');
    case '/head-fixed': {
      res.writeHead(201, { 'x-a': '1' });
      let err = null;
      try { res.setHeader('x-b', '2'); } catch (e) { err = e.code; }
      let again = null;
      try { res.writeHead(500); } catch (e) { again = e.code; }
      await sleep(5);
      return res.end(JSON.stringify({ headersSent: res.headersSent, err, again }));
    }
    case '/head-fixed-throw':
      res.writeHead(200, { 'x-a': '1' });
      throw new Error('thrown after writeHead');
    case '/spelled':
      res.setHeader('X-Custom-ID', '1');
      res.appendHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'Content-Type': 'text/plain', ETag: '"v1"' });
      return res.end('ok');
    case '/own-keep-alive':
      res.setHeader('Keep-Alive', 'timeout=2, max=10');
      return res.end('own\n');
    case '/close-after':
      res.setHeader('Connection', 'close');
      return res.end('closing\n');
    case '/sneaky-value': {
      // A value whose text changes after setHeader checked it: refused when the head
      // is sent, and the handler's failure is answered 500 rather than left hanging.
      let reads = 0;
      res.setHeader('x-sneaky', { toString: () => (reads++ === 0 ? 'fine' : 'bad\r\nx-injected: 1') });
      return res.end('never sent\n');
    }
    case '/sneaky-write': {
      // The same, the head going out with a write.
      let reads = 0;
      res.setHeader('x-sneaky', { toString: () => (reads++ === 0 ? 'fine' : 'bad\r\nx-injected: 1') });
      res.on('error', () => {});
      res.write('never sent\n');
      return res.end();
    }
    case '/sneaky-pipe': {
      // The same, the head going out when a file is piped natively into `res`.
      let reads = 0;
      res.setHeader('x-sneaky', { toString: () => (reads++ === 0 ? 'fine' : 'bad\r\nx-injected: 1') });
      res.on('error', () => {});
      return pipeline(createReadStream(new URL(import.meta.url)), res, () => {});
    }
    case '/te-end':
      // A framing field of the handler's own: weir frames the body itself.
      res.setHeader('Transfer-Encoding', 'chunked');
      return res.end('abc');
    case '/implied-length':
      // The length weir sends for a whole body is not one of the response's
      // headers afterwards, as in Node.
      res.on('finish', () => { stats.impliedLength = String(res.getHeader('content-length')); });
      return res.end('h\u00e9llo');
    case '/remove-date':
      res.removeHeader('Date');
      return res.end('no date either\n');
    case '/no-date':
      res.sendDate = false;
      return res.end('no date\n');
    case '/req-events': {
      // What `req` tells after the response when the handler never reads it.
      const seen = (stats.reqEvents[q.get('tag')] = []);
      req.on('end', () => seen.push('end'));
      req.on('close', () => seen.push('close'));
      req.on('aborted', () => seen.push('aborted'));
      return res.end('ok\n');
    }
    case '/bodiless-written':
      // A body written to a 204 is not sent, on any protocol.
      res.statusCode = 204;
      res.write('abc');
      return res.end('def');
    case '/short-body':
      // Fewer bytes than the Content-Length said: the response is cut, not ended.
      res.setHeader('content-length', 10);
      res.write('abcd');
      return res.end();
    case '/late-end':
      // A body written whole (?cl: under its Content-Length), ended later (?never:
      // not at all, until the client leaves).
      if (q.has('cl')) res.setHeader('content-length', 4);
      res.write('abcd');
      if (q.has('never')) return;
      await sleep(50);
      return res.end();
    case '/padded-field':
      // A value with spaces and a tab around it, in the head and in a trailer.
      res.setHeader('x-padded', ' padded\t');
      res.setHeader('trailer', 'x-sum');
      res.write('body');
      res.addTrailers({ 'x-sum': '\tsum ' });
      return res.end();
    case '/connection-fields':
      // Fields of an HTTP/1.1 connection, which HTTP/2 and HTTP/3 do not carry.
      res.setHeader('connection', 'close');
      res.setHeader('keep-alive', 'timeout=5');
      res.setHeader('proxy-connection', 'close');
      return res.end('conn');
    case '/short-whole':
      // The same given whole, in one end().
      res.setHeader('content-length', 10);
      return res.end('abc');
    case '/content-length': {
      // A Content-Length the handler sets (`v`, repeated for each value), on a whole
      // body or (`stream`) a written one.
      const v = q.getAll('v');
      res.setHeader('content-length', v.length === 1 ? v[0] : v);
      if (!q.has('stream')) return res.end('hello');
      res.write('hel');
      return res.end('lo');
    }
    case '/no-keep-alive':
      // Node's res.shouldKeepAlive = false: the connection closes after this answer.
      res.shouldKeepAlive = false;
      return res.end('bye\n');
    case '/set-headers': {
      // Node's res.setHeaders(Map): each field set, set-cookie values together.
      const caught = [];
      for (const bad of [{ a: '1' }, [['a', '1']], null]) {
        try { res.setHeaders(bad); } catch (e) { caught.push(e.code); }
      }
      res.setHeaders(new Map([['x-one', '1'], ['set-cookie', ['a=1', 'b=2']], ['X-Two', 2]]));
      res.flushHeaders();
      try { res.setHeaders(new Map([['x-late', '1']])); } catch (e) { caught.push(e.code); }
      return res.end(caught.join(' '));
    }
    case '/continue-later': {
      // `100 Continue` at once, as in Node; the body is read later.
      res.writeContinue();
      await sleep(Number(q.get('ms') ?? 600));
      let n = 0;
      for await (const c of req) n += c.length;
      return res.end(String(n));
    }
    case '/socket-events': {
      // req.socket is an event emitter: 'close' when the client leaves mid-response.
      const seen = (stats.reqEvents[q.get('tag')] = []);
      const socket = req.socket;
      const onClose = (hadError) => seen.push(`socket-close ${hadError}`);
      socket.once('close', onClose);
      socket.on('close', () => seen.push('second listener'));
      socket.off('close', onClose);
      socket.on('close', onClose);
      seen.push(`listeners ${socket.listenerCount('close')}`);
      res.write('partial');
      return;
    }
    case '/write-after-end': {
      // A write after end() fails it, as in Node; the request is not taken for
      // aborted and the response closes once. ?stream: ended through the Writable.
      const seen = (stats.reqEvents[q.get('tag')] = []);
      req.on('aborted', () => seen.push('aborted'));
      req.on('error', (e) => seen.push(`req-error ${e.code}`));
      res.on('error', (e) => seen.push(`error ${e.code}`));
      res.on('close', () => seen.push('close'));
      if (q.has('stream')) res.write('a');
      res.end('ok\n');
      const more = res.write('y', (e) => seen.push(`cb ${e?.code}`));
      seen.push(`returned ${more}`);
      return;
    }
    case '/respond-then-read': {
      // Reads the body after answering, as Node lets a handler: its events, the bytes
      // it got and the trailers, by tag. ?pause stops reading after the first chunk,
      // ?destroy destroys the request then, ?slow=MS pauses MS after each chunk,
      // ?throw throws from the 'data' listener.
      const seen = (stats.reqEvents[q.get('tag')] = []);
      let n = 0;
      req.on('data', (c) => {
        if (n === 0) seen.push('data');
        n += c.length;
        if (q.has('throw')) throw new Error(`a data listener threw at ${n}`);
        if (q.has('pause')) req.pause();
        if (q.has('destroy')) req.destroy();
        if (q.has('slow')) {
          req.pause();
          setTimeout(() => req.resume(), Number(q.get('slow')));
        }
      });
      req.on('end', () => seen.push(`end ${n}${req.rawTrailers.map((t) => ` ${t}`).join('')}`));
      req.on('aborted', () => seen.push(`aborted ${n}`));
      req.on('close', () => seen.push('close'));
      return res.end('ok\n');
    }
    case '/listener-throws': {
      // ?on=end: the 'end' listener throws; ?on=resumed: the 'data' listener pauses
      // at each chunk, resumes later, and throws at the second chunk (delivered as
      // the stream resumes, not from a push).
      let n = 0;
      if (q.get('on') === 'end') {
        req.on('data', () => {});
        req.on('end', () => { throw new Error('an end listener threw'); });
        return;
      }
      req.on('data', () => {
        n++;
        if (n === 2) throw new Error('a data listener threw as the stream resumed');
        req.pause();
        setTimeout(() => req.resume(), 300);
      });
      req.on('end', () => res.end('never\n'));
      return;
    }
    case '/aborted-throws':
      // A 'data' listener that throws, and an 'aborted' listener that throws when the
      // failure destroys the request.
      req.on('aborted', () => { throw new Error('an aborted listener threw'); });
      req.on('data', () => { throw new Error('a data listener threw first'); });
      return;
    case '/push-null-caught':
      // The handler ends the request's stream itself: a 'readable' listener's throw
      // goes to its call, as in Node.
      req.on('readable', () => {
        while (req.read() !== null);
        if (req.ending) throw new Error('a readable listener threw');
      });
      setTimeout(() => {
        req.ending = true;
        try {
          req.push(null);
          res.end('not caught\n');
        } catch (e) {
          res.end(`caught ${e.message}\n`);
        }
      }, 100);
      return;
    case '/close-throws':
      // A 'close' listener on the request that throws once the exchange is over.
      req.on('close', () => { throw new Error('a close listener threw'); });
      return res.end('ok\n');
    case '/emit-caught':
      // An event the handler emits itself: a listener's throw goes to its call.
      req.on('custom', () => { throw new Error('boom'); });
      try {
        req.emit('custom');
        return res.end('not caught\n');
      } catch (e) {
        return res.end(`caught ${e.message}\n`);
      }
    case '/end-then-spin':
      // Answers whole, then runs past the CPU budget.
      res.end('answered\n');
      for (;;);
    case '/data-throws': {
      // A 'data' listener that throws before the handler answers.
      const seen = (stats.reqEvents[q.get('tag')] = []);
      req.on('data', () => { throw new Error('a data listener threw'); });
      req.on('aborted', () => seen.push('aborted'));
      req.on('close', () => seen.push('close'));
      req.on('end', () => res.end('never\n'));
      return;
    }
    case '/end-then-read': {
      // Answers, then starts reading the body in the same tick, as Node allows.
      const seen = (stats.reqEvents[q.get('tag')] = []);
      res.end('ok\n');
      let n = 0;
      req.on('data', (c) => { n += c.length; });
      req.on('end', () => seen.push(`end ${n}`));
      req.on('close', () => seen.push('close'));
      return;
    }
    case '/wait-after-head': {
      // Sends part of a body, then waits long: a client that leaves must be noticed
      // now, not at the next write.
      const entry = { tag: q.get('tag'), events: [] };
      stats.waiting.push(entry);
      req.on('aborted', () => entry.events.push('req-aborted'));
      res.on('close', () => entry.events.push(res.writableFinished ? 'res-close-finished' : 'res-close'));
      res.write('partial');
      const timer = setTimeout(() => res.end('late'), Number(q.get('ms') ?? 30000));
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case '/upload-limit': {
      // Node's way to refuse an upload past a limit: destroy the request (its socket
      // closes, the client gets no answer).
      let n = 0;
      const limit = Number(q.get('limit') ?? 1000);
      req.on('data', (c) => {
        n += c.length;
        if (n > limit) (q.get('via') === 'socket' ? req.socket : req).destroy();
      });
      req.on('end', () => res.end(`${n}\n`));
      return;
    }
    case '/node-ports': {
      // What handlers ported from Node (and the libraries they use) rely on.
      const log = [];
      switch (q.get('case')) {
        case 'hook': {
          // on-headers: a wrapped writeHead sees the implicit head and may add to it.
          const writeHead = res.writeHead;
          res.writeHead = function (...args) {
            this.setHeader('x-hooked', `${this.statusCode} ${this._header === null}`);
            return writeHead.apply(this, args);
          };
          res.statusCode = '201';
          return res.end(`${res.headersSent}`);
        }
        case 'flat':
          res.setHeader('x-a', '1');
          res.writeHead(200, ['x-a', '2', 'x-a', '3']);
          return res.end(`${res.statusMessage}`);
        case 'too-long':
          // 'héllo'.length is 5, its UTF-8 6 bytes; the head is fixed by then.
          res.setHeader('content-length', 5);
          try { res.end('héllo'); } catch (e) { stats.portErrors.push(e.code); }
          return res.end('hello');
        case 'too-long-write':
          res.writeHead(200, { 'content-length': '4' });
          res.write('ab');
          try { res.write('cde'); } catch (e) { log.push(e.code); }
          return res.end('cd');
        case 'strict':
          res.strictContentLength = true;
          res.setHeader('content-length', '10');
          try { res.end('abc'); } catch (e) { stats.portErrors.push(e.code); }
          return res.end('0123456789');
        case 'end-twice':
          res.write('a');
          res.end('b');
          return res.end(() => stats.endTwice = 'called');
        case 'bad-message':
          try { res.writeHead(200, 'a\r\nb'); } catch (e) { log.push(e.code); }
          res.statusMessage = undefined;
          break;
        case 'final-1xx':
          // A 1xx cannot be the answer: the call that sends the head throws.
          res.statusCode = 103;
          return res.end('x');
        case 'processing':
          res.writeProcessing();
          await sleep(20);
          break;
      }
      return res.end(log.join(','));
    }
    case '/idle-timeout':
      // Node's res.setTimeout: inactivity, then 'timeout'; unheard, the socket goes.
      switch (q.get('mode')) {
        case 'handled':
          return res.setTimeout(200, () => {
            res.statusCode = 504;
            res.end('timed out\n');
          });
        case 'unheard':
          return res.setTimeout(200);
        case 'active': {
          // Writes every 100 ms keep a 300 ms timeout from firing.
          res.setTimeout(300, () => stats.portErrors.push('timeout fired'));
          let n = 0;
          const timer = setInterval(() => {
            res.write('b');
            if (++n === 6) {
              clearInterval(timer);
              res.end('\n');
            }
          }, 100);
          return;
        }
      }
      return res.end();
    case '/destroy-res':
      return res.destroy();
    case '/big-then-destroy':
      // One large write, then the response is cut while the client holds back.
      res.write(Buffer.alloc(Number(q.get('bytes')), 'w'));
      await sleep(Number(q.get('ms')));
      return res.destroy();
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
