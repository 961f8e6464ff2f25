// The handler tests/vod_send_file.rs runs: sendFile from the weir module, one route per
// option or use. The files are under $SEND_FILE_ROOT; /stats tells what each sendFile
// call resolved to (or threw), by request URL.
import { sendFile } from 'weir';

const root = process.env.SEND_FILE_ROOT;
if (!root) throw new Error('SEND_FILE_ROOT is not set');

// url -> { status } or { code } for every sendFile call that settled or threw.
const results = {};

function recorded(req, promise) {
  return promise.then(
    (status) => { results[req.url] = { status }; return status; },
    (err) => { results[req.url] = { code: err.code }; throw err; });
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function fail(res, err) {
  json(res, 500, { code: err.code, name: err.name, message: err.message });
}

// The argument mistakes the errors route makes on purpose.
const mistakes = {
  'relative': (req, res) => sendFile(req, res, 'video/clip.mp4'),
  'path-type': (req, res) => sendFile(req, res, 42, { root }),
  'options-type': (req, res) => sendFile(req, res, '/video/clip.mp4', 'fast'),
  'root-type': (req, res) => sendFile(req, res, '/video/clip.mp4', { root: 7 }),
  'max-age': (req, res) => sendFile(req, res, '/video/clip.mp4', { root, maxAge: -1 }),
  'max-age-nan': (req, res) => sendFile(req, res, '/video/clip.mp4', { root, maxAge: NaN }),
  'max-ranges': (req, res) => sendFile(req, res, '/video/clip.mp4', { root, maxRanges: 'all' }),
  'not-a-request': (req, res) => sendFile({ url: req.url }, res, '/video/clip.mp4', { root }),
  'not-its-response': (req, res) => sendFile(req, {}, '/video/clip.mp4', { root }),
};

// Routes are prefixes; what follows the prefix (query included) is the file's path.
const routes = {
  '/root': (req, res, path) => sendFile(req, res, path, { root }),
  '/abs': (req, res, path) => sendFile(req, res, root + decodeURIComponent(path.split('?')[0])),
  '/max-age': (req, res, path) => sendFile(req, res, path, { root, maxAge: 3600.9 }),
  '/cache-control': (req, res, path) =>
    sendFile(req, res, path, { root, cacheControl: 'no-store', maxAge: 60 }),
  '/content-type': (req, res, path) =>
    sendFile(req, res, path, { root, contentType: 'application/x-weir-test' }),
  '/extra-headers': (req, res, path) => sendFile(req, res, path, {
    root,
    headers: { 'X-Extra': 'yes', 'X-List': ['a', 'b'], 'Cache-Control': 'private, max-age=5' },
  }),
  '/set-header': (req, res, path) => {
    res.setHeader('X-From-Handler', 'kept');
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Language', 'en');
    return sendFile(req, res, path, { root });
  },
  '/set-header-overridden': (req, res, path) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Both', 'handler');
    return sendFile(req, res, path, { root, maxAge: 60, headers: { 'x-both': 'options' } });
  },
  '/set-content-type': (req, res, path) => {
    res.setHeader('Content-Type', 'text/x-from-handler');
    return sendFile(req, res, path, { root });
  },
  '/set-content-length': (req, res, path) => {
    res.setHeader('Content-Length', '5');
    return sendFile(req, res, path, { root });
  },
  '/no-date': (req, res, path) => {
    res.sendDate = false;
    return sendFile(req, res, path, { root });
  },
  // sendDate = false for a sendFile that finds nothing, then the handler's own answer
  // with sendDate back on.
  '/no-date-fallthrough': async (req, res, path) => {
    res.sendDate = false;
    try {
      return await sendFile(req, res, path, { root, fallthrough: true });
    } catch {
      res.sendDate = true;
      res.end('own answer\n');
      return 200;
    }
  },
  '/max-ranges-1': (req, res, path) => sendFile(req, res, path, { root, maxRanges: 1 }),
  '/max-ranges-0': (req, res, path) => sendFile(req, res, path, { root, maxRanges: 0 }),
  // A single-page app: unknown paths get index.html.
  '/spa': async (req, res, path) => {
    try {
      return await sendFile(req, res, path, { root, fallthrough: true });
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
      res.setHeader('x-fallback', 'index.html');
      return sendFile(req, res, '/index.html', { root });
    }
  },
  // A 404 of the handler's own.
  '/own-404': async (req, res, path) => {
    try {
      return await sendFile(req, res, path, { root, fallthrough: true });
    } catch (err) {
      json(res, 404, { error: 'no such file', code: err.code, status: err.status, message: err.message });
      return 404;
    }
  },
  '/after-write': async (req, res, path) => {
    res.write('partial\n');
    try {
      await sendFile(req, res, path, { root });
    } catch (err) {
      res.end(`${err.code}\n`);
    }
  },
  '/twice': (req, res, path) => {
    const first = sendFile(req, res, path, { root });
    try {
      sendFile(req, res, path, { root });
      results[`${req.url}#second`] = { status: 'sent' };
    } catch (err) {
      results[`${req.url}#second`] = { code: err.code };
    }
    return first;
  },
};

export default async function handle(req, res) {
  const url = req.url;
  if (url === '/stats') return json(res, 200, results);
  if (url.startsWith('/errors/')) {
    const mistake = mistakes[url.slice('/errors/'.length)];
    try {
      await mistake(req, res);
      return json(res, 200, { code: null });
    } catch (err) {
      return fail(res, err);
    }
  }
  const slash = url.indexOf('/', 1);
  const route = routes[slash < 0 ? url : url.slice(0, slash)];
  if (route === undefined || slash < 0) return json(res, 404, { error: 'no such route' });
  try {
    await recorded(req, route(req, res, url.slice(slash)));
  } catch (err) {
    if (!res.headersSent) fail(res, err);
  }
}
