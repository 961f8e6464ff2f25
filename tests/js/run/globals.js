// Every global of the runtime issue, used the way scripts use them.
const assert = require('assert');
const out = [];

assert.strictEqual(globalThis.global, globalThis);
out.push(new TextDecoder().decode(new TextEncoder().encode('héllo ✓')));
const into = new Uint8Array(4);
out.push(JSON.stringify(new TextEncoder().encodeInto('é✓', into)));
assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])), { code: 'ERR_ENCODING_INVALID_ENCODED_DATA' });

const u = new URL('https://user:pw@example.com:8080/a/../b?x=1&y=2#h');
u.searchParams.append('z', '3');
out.push(u.href, u.origin, u.host, u.pathname, u.searchParams.get('y'));
assert.throws(() => new URL('not a url'), { code: 'ERR_INVALID_URL', name: 'TypeError' });
out.push(new URL('../c', 'http://h/a/b/').href);
out.push(new URLSearchParams({ a: '1', b: 'x y' }).toString());

const ac = new AbortController();
ac.signal.addEventListener('abort', () => out.push(`abort event: ${ac.signal.reason.name}`));
ac.abort();
out.push(`AbortSignal.abort(): ${AbortSignal.abort().aborted}`);
const any = AbortSignal.any([new AbortController().signal, AbortSignal.abort('why')]);
out.push(`AbortSignal.any: ${any.aborted} ${any.reason}`);

const et = new EventTarget();
et.addEventListener('ping', (e) => out.push(`EventTarget: ${e.type} ${e instanceof Event}`), { once: true });
et.dispatchEvent(new Event('ping'));
et.dispatchEvent(new Event('ping'));

out.push(btoa('hello'), atob('aGVsbG8='));
assert.throws(() => atob('*'), { name: 'InvalidCharacterError' });
assert.strictEqual(typeof performance.now(), 'number');
assert.ok(performance.now() >= 0 && performance.timeOrigin > 1.6e12);

const clone = structuredClone({ m: new Map([[1, { d: new Date(0) }]]), s: new Set([1]), u: new Uint8Array([1, 2]) });
out.push(clone.m.get(1).d.toISOString(), clone.s.has(1), clone.u[1]);
assert.throws(() => structuredClone(() => {}), { name: 'DataCloneError' });

out.push((1234567.891).toLocaleString('en-US'), new Intl.NumberFormat('de-DE').format(1234.5));
out.push(new Date(0).toLocaleDateString('en-US', { timeZone: 'UTC' }), 'ß'.localeCompare('ss', 'de'));

out.push(Buffer.from('hi').toString('hex'), Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString());
out.push(typeof process.env.PATH, process.platform, typeof process.hrtime.bigint(), process.hrtime().length);
assert.ok(process.memoryUsage().rss > 0 && process.memoryUsage().heapUsed > 0);
assert.strictEqual(process.cwd(), require('path').resolve('.'));
assert.strictEqual(typeof process.pid, 'number');
assert.match(process.version, /^v\d+\.\d+\.\d+$/);
assert.strictEqual(typeof process.versions.v8, 'string');

console.info('console.info goes to stdout');
console.debug('console.debug %s %d', 'formats', 42);
console.log('%o', { nested: { deep: [1, 2, 3] } });

const t = AbortSignal.timeout(5);
const keep = setTimeout(() => {}, 1000);
t.onabort = () => {
  out.push(`AbortSignal.timeout: ${t.reason.name}`);
  clearTimeout(keep);
  console.log(out.join('\n'));
};
