// Stream packages from npm, used as their READMEs show, chained with node:stream.
const { Readable, Writable, pipeline } = require('stream');
const through2 = require('through2');
const split2 = require('split2');
const pump = require('pump');
const { parse } = require('csv-parse');
const RS = require('readable-stream');

const out = [];
const log = (...a) => out.push(a.join(' '));

function collect(done) {
  const chunks = [];
  return new Writable({
    objectMode: true,
    write(chunk, enc, cb) { chunks.push(chunk); cb(); },
    final(cb) { done(chunks); cb(); },
  });
}

const steps = [
  (next) => {
    // through2 + split2 in a pipeline: lines from arbitrary chunk boundaries.
    const src = Readable.from(['alpha\nbe', 'ta\ngam', 'ma\n', 'delta']);
    pipeline(src, split2(), through2.obj(function(line, enc, cb) { cb(null, line.toUpperCase()); }),
             collect((lines) => log('split2+through2:', lines.join(','))), (err) => { log('pipeline err:', err); next(); });
  },
  (next) => {
    // pump with a through2 byte transform and a callback.
    let total = 0;
    const src = Readable.from([Buffer.from('abc'), Buffer.from('defg')]);
    pump(src, through2(function(chunk, enc, cb) { total += chunk.length; cb(null, chunk.reverse()); }),
         collect((bufs) => log('pump:', Buffer.concat(bufs).toString(), total)), (err) => { log('pump err:', err); next(); });
  },
  (next) => {
    // csv-parse streaming parser.
    const records = [];
    const parser = parse({ columns: true, trim: true });
    parser.on('readable', () => { let r; while ((r = parser.read()) !== null) records.push(r); });
    parser.on('error', (e) => log('csv error', e.message));
    parser.on('end', () => { log('csv-parse:', JSON.stringify(records)); next(); });
    parser.write('name, seconds\nintro, 12\n');
    parser.write('main, 3');
    parser.end('40\noutro, 8\n');
  },
  (next) => {
    // readable-stream's classes interoperate with node:stream.
    const rs = new RS.Readable({ read() {} });
    rs.push('from readable-stream ');
    rs.push(null);
    const sink = collect((c) => log('readable-stream:', Buffer.concat(c.map((x) => Buffer.from(x))).toString().trim()));
    RS.pipeline(rs, new RS.PassThrough(), sink, (err) => { log('rs err:', err); next(); });
  },
  (next) => {
    // Async iteration over a through2 stream.
    (async () => {
      const t = through2.obj((o, e, cb) => cb(null, o * 2));
      Readable.from([1, 2, 3]).pipe(t);
      const got = [];
      for await (const v of t) got.push(v);
      log('for await through2:', got.join(' '));
      next();
    })();
  },
];

let i = 0;
const next = () => (i < steps.length ? steps[i++](next) : console.log(out.join('\n')));
next();
