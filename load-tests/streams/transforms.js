// Three Transforms over 1 GiB of 64 KiB chunks: stream machinery and chunk hand-off.
'use strict';
const { Readable, Transform, Writable, pipeline } = require('stream');

const CHUNK = 64 * 1024;
const TOTAL = 1024 * 1024 * 1024;
const chunks = TOTAL / CHUNK;
let produced = 0;
const source = new Readable({
  read() {
    // A fresh buffer per chunk, as a file or socket source would hand out.
    this.push(produced++ < chunks ? Buffer.allocUnsafe(CHUNK) : null);
  },
});
const stage = (tag) => new Transform({
  transform(chunk, enc, cb) {
    chunk[0] = tag; // touch the data, as a real transform would
    cb(null, chunk);
  },
});
let bytes = 0;
const sink = new Writable({
  write(chunk, enc, cb) {
    bytes += chunk.length;
    cb();
  },
});
pipeline(source, stage(1), stage(2), stage(3), sink, (err) => {
  if (err) throw err;
  if (bytes !== TOTAL) throw new Error(`moved ${bytes} bytes`);
});
