// A typed handler: checked with tsc against js-api/types and @types/node.
import { pipeline, Transform } from 'node:stream';
import { sendFile, version, type Handler } from 'weir';

const upper = (): Transform =>
  new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk.toString().toUpperCase());
    },
  });

const handle: Handler = async (req, res) => {
  if (req.url === '/version') {
    res.setHeader('content-type', 'text/plain');
    res.end(`weir ${version} over HTTP/${req.httpVersion}\n`);
    return;
  }
  if (req.url?.startsWith('/media/')) {
    const status: number = await sendFile(req, res, req.url.slice('/media'.length), {
      root: './media-samples',
      maxAge: 3600,
      headers: { 'x-served-by': 'weir' },
    });
    if (status === 0) console.log('client went away');
    return;
  }
  pipeline(req, upper(), res, (err) => {
    if (err) res.destroy(err);
  });
};

export default handle;
