// Handler for tests/fs_streams.rs: fs.createReadStream into responses.
import fs from 'node:fs';
import { pipeline, PassThrough } from 'node:stream';

const stats = { jsChunks: 0, errors: [] };

export default function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const file = url.searchParams.get('file');
  switch (url.pathname) {
    case '/native': {
      // pipeline(file, res): a native pipe; JavaScript sees no chunk.
      const src = fs.createReadStream(file);
      const push = src.push;
      src.push = function(chunk) {
        if (chunk !== null) stats.jsChunks++;
        return push.call(this, chunk);
      };
      res.setHeader('content-type', 'application/octet-stream');
      return pipeline(src, res, (err) => { if (err) stats.errors.push(err.code); });
    }
    case '/native-length': {
      // The file's size said up front, as a handler serving a file says it.
      res.setHeader('content-length', fs.statSync(file).size);
      return pipeline(fs.createReadStream(file), res, (err) => {
        if (err) stats.errors.push(err.code);
      });
    }
    case '/range': {
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      return pipeline(fs.createReadStream(file, { start, end }), res, (err) => {
        if (err) stats.errors.push(err.code);
      });
    }
    case '/through-js':
      return pipeline(fs.createReadStream(file), new PassThrough(), res, (err) => {
        if (err) stats.errors.push(err.code);
      });
    case '/stats':
      return res.end(JSON.stringify(stats));
    default:
      res.statusCode = 404;
      return res.end();
  }
}
