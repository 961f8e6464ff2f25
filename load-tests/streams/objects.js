// Readable.from of 1 M small objects into an object-mode Writable.
'use strict';
const { Readable, Writable, pipeline } = require('stream');

function* items() {
  for (let i = 0; i < 1e6; i++) yield { id: i, name: 'item', ok: (i & 1) === 0 };
}
let n = 0;
const sink = new Writable({
  objectMode: true,
  write(obj, enc, cb) {
    if (obj.ok) n++;
    cb();
  },
});
pipeline(Readable.from(items()), sink, (err) => {
  if (err) throw err;
  if (n !== 5e5) throw new Error(`saw ${n}`);
});
