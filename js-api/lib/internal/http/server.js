'use strict';

// The dispatcher of `weir serve`: loads the handler module, then takes batches of
// requests from the worker and calls the handler with Node-style `req` and `res`.
// A handler that throws or rejects gets its request answered 500 (or, once the head
// is out and the response not ended, cut) and the error logged with the request
// line; the worker keeps serving.

const { SafeMap, StringPrototypeIncludes } = primordials;

const {
  IncomingMessage, kId, kResponse, kKeepAnswer, socketGone, socketOf,
} = require('internal/http/incoming');
const { kOnListenerThrow } = require('internal/streams/utils');
const { ServerResponse, kHeadSent, kOnClose, kFastEnded } = require('internal/http/outgoing');
const { inspect } = require('internal/util/inspect');
const { connResetException } = require('internal/errors');
const binding = internalBinding('http');

const inflight = new SafeMap();
// Requests whose body is read on after their response ended, by id: the native side
// may drop such a body (its reader idle past --body-timeout-ms), and says so.
const readingOn = new SafeMap();

async function loadHandler(path) {
  const { pathToFileURL } = require('internal/url');
  const ns = await import(pathToFileURL(path).href);
  let handler = ns.default;
  if (handler !== null && typeof handler === 'object' && typeof handler.request === 'function') {
    const target = handler;
    handler = (req, res) => target.request(req, res);
  }
  if (typeof handler !== 'function') {
    const { ERR_INVALID_ARG_TYPE } = require('internal/errors').codes;
    const err = new ERR_INVALID_ARG_TYPE('the default export of the handler module',
                                         ['Function', 'an object with a request(req, res) method'], handler);
    err.message += `\n    in ${path}: write \`export default function (req, res) { ... }\` or \`module.exports = (req, res) => { ... }\``;
    throw err;
  }
  return handler;
}

function describe(err) {
  return typeof err === 'string' ? err : inspect(err);
}

// The request line logged with a handler's failure where the native side has let
// go of the exchange already (its client left, its body failed): the native
// side's format (`RequestLine` in src/ops/http.rs).
// (From the request's own socket: stream code may have set `req.socket` to null.)
function requestLine(req) {
  const { remoteAddress: a, remotePort: p } = socketOf(req);
  const from = StringPrototypeIncludes(`${a}`, ':') ? `[${a}]:${p}` : `${a}:${p}`;
  return `${req.method} ${req.url} HTTP/${req.httpVersion} from ${from}`;
}

function handlerFailed(err, res, what = 'the handler failed') {
  binding.logError(res[kId], `${what}: ${describe(err)}`, requestLine(res.req));
  // Ended (end() was called): the answer is whole as given, and goes on.
  if (res.destroyed || res.writableEnded) return;
  if (!res[kHeadSent]) {
    res._resetHead();
    res.statusCode = 500;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end('Internal Server Error\n');
  } else {
    res.destroy();
  }
}

// A listener on the request threw while the stream delivered an event on its own
// ('data' of a push or of the stream resuming, 'readable', 'end', 'aborted',
// 'close', 'error', 'timeout'; not an event the handler's own call emitted, whose
// throw goes to that call): as with a handler that
// throws, the error is logged with the request line and the request answered 500 if
// it has no answer yet; the request is destroyed, so the rest of its body is dropped
// and the connection goes on. Node would exit with an uncaught exception.
IncomingMessage.prototype[kOnListenerThrow] = (req, err) => {
  const res = req[kResponse];
  // Not a request this server dispatched: the error goes on uncaught.
  if (res === undefined) throw err;
  handlerFailed(err, res, 'a listener of the request failed');
  // The answer given (the 500 too) is not cut with the request.
  req[kKeepAnswer] = true;
  if (!req.destroyed) req.destroy(err);
};

// A listener on the response threw while the response emitted on its own ('drain',
// 'prefinish', 'finish', 'close', 'error', 'timeout'), or a callback given to
// write(), end(), setTimeout(), writeContinue(), writeProcessing() or
// writeEarlyHints() did: as with a handler that throws, the error is logged with the
// request line; a response not yet answered is answered 500, one whose head is out
// is cut, and one already ended goes on to its 'close'. Node would exit with an
// uncaught exception.
ServerResponse.prototype[kOnListenerThrow] = (res, err) => {
  // Not a response this server made for its request: the error goes on uncaught.
  if (res.req?.[kResponse] !== res) throw err;
  handlerFailed(err, res, 'a listener of the response failed');
};

function dispatch(handler, event) {
  const [, id, method, url, httpVersion, fields, remoteAddress, remotePort, hasBody, encrypted] = event;
  const req = new IncomingMessage(id, method, url, httpVersion, fields, remoteAddress, remotePort, hasBody, encrypted);
  const res = new ServerResponse(req);
  req[kResponse] = res;
  res[kOnClose] = responseClosed;
  binding.setContext(id);
  try {
    const r = handler(req, res);
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      r.then(undefined, (err) => handlerFailed(err, res));
    }
  } catch (err) {
    handlerFailed(err, res);
  }
  // Only a response still open can hear that its client left (that news comes in a
  // later batch). Most end in the handler's call: they never enter the map.
  if (!res[kFastEnded] && res[kOnClose] !== null) inflight.set(id, res);
}

// `finished`: the response ended whole. One closed before (its client left, or it was
// destroyed) cuts its request, as Node cuts the requests of a connection that closes
// with their responses unfinished: 'aborted' (unless the body was read to its end),
// 'error' with ECONNRESET for whoever listens, then 'close'.
function responseClosed(res, finished) {
  res[kOnClose] = null;
  inflight.delete(res[kId]);
  if (!finished) return abortRequest(res.req);
  const req = res.req;
  if (req._responseDone()) {
    const id = res[kId];
    readingOn.set(id, req);
    req.once('close', () => readingOn.delete(id));
  }
}

function abortRequest(req) {
  if (!req.destroyed) req.destroy(connResetException('aborted'));
  socketGone(req);
}

function clientGone(id) {
  const res = inflight.get(id);
  if (res === undefined) {
    const req = readingOn.get(id);
    if (req !== undefined) {
      readingOn.delete(id);
      abortRequest(req);
    }
    return;
  }
  inflight.delete(id);
  res._clientGone();
  abortRequest(res.req);
}

async function start(handlerPath, root) {
  let handler;
  try {
    handler = handlerPath === null ?
      require('internal/http/default_handler').create(root) :
      await loadHandler(handlerPath);
  } catch (err) {
    binding.ready(false, describe(err));
    return;
  }
  // An error nobody handles is logged instead of ending the server (Node would exit).
  process.on('uncaughtException', (err) => {
    if (process.listenerCount('uncaughtException') === 1) {
      binding.logError(0, `uncaught exception: ${describe(err)}`);
    }
  });
  // The loop calls this with each batch of events, each batch its own macrotask.
  binding.listen((batch) => {
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i];
      if (event[0] === 1) dispatch(handler, event);
      else clientGone(event[1]);
    }
    binding.setContext(0);
  });
  binding.ready(true, '');
}

module.exports = { start };
