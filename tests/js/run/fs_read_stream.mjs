// fs.createReadStream: ranges, chunk sizes, events and errors, compared with Node.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline, Writable } from 'node:stream';

const tmp = process.env.TMPDIR || '/tmp';
const file = path.join(tmp, `weir-fs-read-stream-${process.pid}.bin`);
const data = Buffer.alloc(1_000_003);
for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
fs.writeFileSync(file, data);

function collect(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const events = [];
    stream.on('open', (fd) => events.push(`open:${typeof fd}`));
    stream.on('ready', () => events.push('ready'));
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => events.push('end'));
    stream.on('error', (e) => { events.push(`error:${e.code}:${e.syscall}`); resolve({ events, chunks }); });
    stream.on('close', () => { events.push('close'); resolve({ events, chunks }); });
  });
}

async function show(label, stream) {
  const { events, chunks } = await collect(stream);
  const all = typeof chunks[0] === 'string' ? chunks.join('') : Buffer.concat(chunks);
  console.log(label, events.join(','), 'bytes', all.length, 'chunks', chunks.length,
              'max', Math.max(0, ...chunks.map((c) => c.length)),
              'bytesRead', stream.bytesRead, 'pending', stream.pending);
  return all;
}

const whole = await show('whole', fs.createReadStream(file));
console.log('whole equal', whole.equals(data));
const range = await show('range', fs.createReadStream(file, { start: 10, end: 500009, highWaterMark: 100000 }));
console.log('range equal', range.equals(data.subarray(10, 500010)));
await show('one byte', fs.createReadStream(file, { start: 5, end: 5 }));
await show('past the end', fs.createReadStream(file, { start: 2_000_000 }));
await show('end past the end', fs.createReadStream(file, { start: 999_999, end: 5_000_000 }));
await show('missing', fs.createReadStream(path.join(tmp, 'weir-no-such-file')));
await show('directory', fs.createReadStream(tmp));
console.log('hex', await show('encoding', fs.createReadStream(file, { start: 0, end: 3, encoding: 'hex' })));
for (const bad of [{ start: 5, end: 2 }, { start: -1 }, { end: 1.5 }, { start: 'x' }]) {
  try {
    fs.createReadStream(file, bad);
    console.log('no error for', JSON.stringify(bad));
  } catch (e) {
    console.log(e.code, e.message);
  }
}
let n = 0;
for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 20 })) n += c.length;
console.log('for await', n);
await new Promise((resolve) => {
  let got = 0;
  pipeline(fs.createReadStream(file), new Writable({
    write(c, e, cb) { got += c.length; setImmediate(cb); },
  }), (err) => { console.log('pipeline', err?.code ?? 'ok', got); resolve(); });
});
const early = fs.createReadStream(file);
early.on('error', (e) => console.log('destroyed early: error', e.code));
early.on('close', () => {
  console.log('destroyed early: close');
  fs.unlinkSync(file);
});
early.destroy();
