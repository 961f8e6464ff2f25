'use strict';

// `res`: Node's http.ServerResponse as a Writable. The head goes out with the first
// write (or end); body chunks go to the native exchange, whose buffer is bounded in
// bytes: `write()` returns false once it is full and 'drain' follows when the client
// reads, so a client that stops reading stops the handler. `res.end(body)` with
// nothing written before sends head and body in one step.

const {
  ArrayIsArray,
  ArrayPrototypeJoin,
  ObjectCreate,
  ObjectKeys,
  RegExpPrototypeExec,
  SafeMap,
  SafeSet,
  StringPrototypeToLowerCase,
} = primordials;

const { lazyWritable, defineLazyProperty, kStateMade, kStateInit } = require('internal/http/lazy_stream');
const { Buffer } = require('buffer');
const { isUint8Array } = require('internal/util/types');
const {
  STATUS_CODES,
  checkInvalidHeaderChar,
  validateHeaderName,
  validateHeaderValue,
} = require('internal/http/common');
const {
  codes: {
    ERR_HTTP_CONTENT_LENGTH_MISMATCH,
    ERR_HTTP_FORBIDDEN_TRAILER,
    ERR_HTTP_HEADERS_SENT,
    ERR_HTTP_INVALID_STATUS_CODE,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_INVALID_CHAR,
    ERR_STREAM_ALREADY_FINISHED,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_WRITE_AFTER_END,
  },
} = require('internal/errors');
const { kId, socketOf } = require('internal/http/incoming');
const { validateFunction, validateObject } = require('internal/validators');
const { getTimerDuration } = require('internal/timers');
const { kNativeSink, kNativeSinkFree, kNativeDone, kFailed, destroyQuietly } = require('internal/streams/native');
const { guardListeners, guardCallback, guardEmit } = require('internal/streams/utils');
const binding = internalBinding('http');

// Node's check of a `Link` value for early hints (lib/internal/validators.js).
const linkValueRegExp = /^(?:<[^>]*>)(?:\s*;\s*[^;"\s]+(?:=(")?[^;"\s]*\1)?)*$/;
const kLinkFormat = 'must be an array or string of format "</styles.css>; rel=preload; as=style"';

function validateLinkHeaderFormat(value, name) {
  if (typeof value === 'undefined' || !RegExpPrototypeExec(linkValueRegExp, value)) {
    throw new ERR_INVALID_ARG_VALUE(name, value, kLinkFormat);
  }
}

function validateLinkHeaderValue(hints) {
  if (typeof hints === 'string') {
    validateLinkHeaderFormat(hints, 'hints');
    return hints;
  }
  if (ArrayIsArray(hints)) {
    for (const link of hints) validateLinkHeaderFormat(link, 'hints');
    return ArrayPrototypeJoin(hints, ', ');
  }
  throw new ERR_INVALID_ARG_VALUE('hints', hints, kLinkFormat);
}

const kHeaders = Symbol('kHeaders');
const kHeadSent = Symbol('kHeadSent');
// The head is fixed (headersSent): sent, or set by writeHead() and not yet on the wire.
const kHeadFixed = Symbol('kHeadFixed');
const kSentWhole = Symbol('kSentWhole');
const kTrailers = Symbol('kTrailers');
// Fields a trailer may not carry: they frame or route the message (RFC 9110 §6.5.1),
// and clients fail the response over them (curl resets an HTTP/2 stream whose
// trailers hold `content-length`; HTTP/2 and HTTP/3 forbid the connection-specific
// ones). The list weir refuses in request trailers too.
const kForbiddenTrailers = new SafeSet([
  'content-length', 'transfer-encoding', 'host', 'trailer', 'te', 'connection',
  'keep-alive', 'upgrade', 'proxy-connection',
]);
const kGone = Symbol('kGone');
const kNative = Symbol('kNative');
const kOnClose = Symbol('kOnClose');
// The status writeHead() fixed, the Content-Length declared (-1: none; undefined: not
// looked up yet) and the body bytes given so far.
const kCode = Symbol('kCode');
const kDeclared = Symbol('kDeclared');
const kCounted = Symbol('kCounted');
// The inactivity timer of setTimeout(), or null.
const kTimer = Symbol('kTimer');

// Response fields passed as separate arguments up to this many names and values.
const kMaxFieldArgs = 1024;
// Bytes `write()` accepts before it returns false (the native side holds as much again).
const kHighWaterMark = 64 * 1024;
const kWritableOptions = { highWaterMark: kHighWaterMark, decodeStrings: false };
const LazyWritable = lazyWritable(kWritableOptions);
const kFastEnded = Symbol('kFastEnded');
const kFastFinished = Symbol('kFastFinished');
const kFastClosed = Symbol('kFastClosed');

// A response ended in one call never made its Writable state; if someone asks for it
// afterwards, it must say what happened.
function initFastEndedState(res, state) {
  if (!res[kFastEnded]) return;
  state.ending = true;
  state.ended = true;
  state.finalCalled = true;
  state.prefinished = res[kFastFinished];
  state.finished = res[kFastFinished];
  if (res[kFastClosed]) {
    state.destroyed = true;
    state.closed = true;
    state.closeEmitted = true;
  }
}

// What Node does when a socket times out: 'timeout' on the request (while its body
// is still coming) and on the response; with no one listening, the socket is
// destroyed (here: the exchange cut).
// A listener's throw goes to its stream's kOnListenerThrow method.
function onInactive(res) {
  res[kTimer] = null;
  if (res[kFastFinished] || res[kGone] || (res[kStateMade] && (res.destroyed || res.writableFinished))) return;
  const req = res.req;
  const reqHeard = !req.complete && req.listenerCount('timeout') > 0;
  const resHeard = res.listenerCount('timeout') > 0;
  if (reqHeard) guardEmit(req, 'timeout', req.socket);
  if (resHeard) guardEmit(res, 'timeout', res.socket);
  if (!reqHeard && !resHeard) res._cut();
}

function stopTimer(res) {
  if (res[kTimer] !== null) {
    clearTimeout(res[kTimer]);
    res[kTimer] = null;
  }
}

function finishFast(res, cb) {
  stopTimer(res);
  res[kFastFinished] = true;
  if (res[kStateMade]) {
    res._writableState.prefinished = true;
    res._writableState.finished = true;
  }
  // A listener's throw (or the callback's) goes to the response's kOnListenerThrow
  // method, and the response goes on to its next event and closes.
  guardEmit(res, 'prefinish');
  guardEmit(res, 'finish');
  if (typeof cb === 'function') guardCallback(res, cb);
  const onClose = res[kOnClose];
  if (onClose !== null) onClose(res, true);
  res[kFastClosed] = true;
  if (res[kStateMade]) {
    const state = res._writableState;
    state.destroyed = true;
    state.closed = true;
    state.closeEmitted = true;
  }
  guardEmit(res, 'close');
}

// Codes whose name in Node differs from the native side's (for the others the native
// side gives the phrase Node would, and the phrase need not be passed).
const kReasonFixups = { __proto__: null, 203: true, 418: true, 509: true };
// The phrase to pass for `message`: none when it is the native side's own.
function reasonToPass(code, message) {
  return message === STATUS_CODES[code] && kReasonFixups[code] === undefined ? undefined : message;
}

// The length a `Content-Length` field declares, or -1 (none, or not a plain number:
// the native side drops those). Of several values, the first that is one, as the
// native side sends it.
// A body that ends shorter than the Content-Length the handler declared.
function shortOfDeclared(res) {
  const declared = res[kDeclared] ?? -1;
  return declared > res[kCounted] && sendsBody(res);
}

function declaredLength(res) {
  const list = res[kHeaders];
  const i = findHeader(list, 'content-length');
  if (i === -1) return -1;
  const v = list[i + 2];
  if (!ArrayIsArray(v)) return lengthOf(v);
  for (let j = 0; j < v.length; j++) {
    const n = lengthOf(v[j]);
    if (n !== -1) return n;
  }
  return -1;
}

function lengthOf(v) {
  // Up to 19 digits, as the native side reads them (past 2**53 a Number is not
  // exact, but no body comes near that length).
  if (typeof v === 'number') return v >= 0 && v < 1e19 && v % 1 === 0 ? v : -1;
  return typeof v === 'string' && RegExpPrototypeExec(/^[ \t]*\d{1,19}[ \t]*$/, v) !== null ? +v : -1;
}

function byteLength(chunk, encoding) {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, encoding || 'utf8');
  return chunk.byteLength;
}

// The response's headers: a flat list of (lower-case key, name as given, value)
// triples in the order they were first set, made on first use. Responses set a few
// headers, which a list holds for less than a map (and finds as fast).
function headersOf(res) {
  return res[kHeaders] ??= [];
}

// Where `key`'s triple starts in `list`, or -1.
function findHeader(list, key) {
  if (list === null) return -1;
  for (let i = 0; i < list.length; i += 3) {
    if (list[i] === key) return i;
  }
  return -1;
}

// The keys (0) or the names as given (1) of the headers set.
function headerColumn(res, at) {
  const out = [];
  const list = res[kHeaders] ?? [];
  for (let i = at; i < list.length; i += 3) out.push(list[i]);
  return out;
}

function flatHeaders(list) {
  const flat = [];
  if (list === null) return flat;
  for (let i = 0; i < list.length; i += 3) {
    const name = list[i + 1];
    const value = list[i + 2];
    if (ArrayIsArray(value)) {
      for (const v of value) flat.push(name, `${v}`);
    } else {
      flat.push(name, typeof value === 'string' ? value : `${value}`);
    }
  }
  return flat;
}

// Header names repeat from response to response: remember the ones already checked
// (and their lower-case form) instead of running the token regex every time.
const knownNames = new SafeMap();
function headerKey(name) {
  const known = knownNames.get(name);
  if (known !== undefined) return known;
  validateHeaderName(name);
  const key = StringPrototypeToLowerCase(name);
  if (knownNames.size < 1024) knownNames.set(name, key);
  return key;
}

// Values repeat as well (content types, cache policies): the short strings already
// checked are remembered, so most skip the character regex.
const knownValues = new SafeSet();
function checkValue(name, value) {
  if (typeof value === 'string') {
    if (knownValues.has(value)) return;
    validateHeaderValue(name, value);
    if (value.length <= 128 && knownValues.size < 1024) knownValues.add(value);
    return;
  }
  validateHeaderValue(name, value);
}

// Sets `name` (replacing its value, or with `append` adding to it), checked; headers
// already set keep their place.
function putHeader(res, action, name, value, append) {
  if (res[kHeadFixed]) throw new ERR_HTTP_HEADERS_SENT(action);
  const key = headerKey(name);
  checkValue(name, value);
  const list = headersOf(res);
  const i = findHeader(list, key);
  if (i === -1) {
    list.push(key, name, value);
  } else if (append) {
    const prev = ArrayIsArray(list[i + 2]) ? list[i + 2] : [list[i + 2]];
    list[i + 2] = prev.concat(value);
  } else {
    list[i + 1] = name;
    list[i + 2] = value;
  }
}

class ServerResponse extends LazyWritable {
  constructor(req) {
    super();
    this[kStateInit] = initFastEndedState;
    this[kFastEnded] = false;
    this[kFastFinished] = false;
    this[kFastClosed] = false;
    this.req = req;
    this.statusCode = 200;
    this.statusMessage = undefined;
    this.sendDate = true;
    this.chunkedEncoding = false;
    this.shouldKeepAlive = true;
    this.strictContentLength = false;
    this[kCode] = 200;
    this[kDeclared] = undefined;
    this[kCounted] = 0;
    this[kTimer] = null;
    this[kId] = req[kId];
    this[kHeaders] = null;
    this[kHeadSent] = false;
    this[kHeadFixed] = false;
    this[kSentWhole] = false;
    this[kTrailers] = null;
    this[kGone] = false;
    this[kNative] = false;
    this[kOnClose] = null;
  }

  get connection() { return this.socket; }
  get headersSent() { return this[kHeadFixed]; }
  get finished() { return this.writableEnded; }

  setHeader(name, value) {
    putHeader(this, 'set', name, value, false);
    return this;
  }

  appendHeader(name, value) {
    putHeader(this, 'append', name, value, true);
    return this;
  }

  // Node's: every field of a `Headers` or a `Map`, each set as by setHeader;
  // `set-cookie` values (which a Headers joins with commas when asked by name) are
  // gathered from iteration and set together.
  setHeaders(headers) {
    if (this[kHeadFixed]) throw new ERR_HTTP_HEADERS_SENT('set');
    if (!headers || ArrayIsArray(headers) || typeof headers.keys !== 'function' ||
        typeof headers.get !== 'function') {
      throw new ERR_INVALID_ARG_TYPE('headers', ['Headers', 'Map'], headers);
    }
    const cookies = [];
    for (const { 0: key, 1: value } of headers) {
      if (key === 'set-cookie') {
        if (ArrayIsArray(value)) {
          for (const v of value) cookies.push(v);
        } else {
          cookies.push(value);
        }
        continue;
      }
      this.setHeader(key, value);
    }
    if (cookies.length) this.setHeader('set-cookie', cookies);
    return this;
  }

  getHeader(name) {
    if (typeof name !== 'string') throw new ERR_INVALID_ARG_TYPE('name', 'string', name);
    const list = this[kHeaders];
    const i = findHeader(list, StringPrototypeToLowerCase(name));
    return i === -1 ? undefined : list[i + 2];
  }

  getHeaders() {
    const out = ObjectCreate(null);
    const list = this[kHeaders] ?? [];
    for (let i = 0; i < list.length; i += 3) out[list[i]] = list[i + 2];
    return out;
  }

  getHeaderNames() { return headerColumn(this, 0); }

  getRawHeaderNames() { return headerColumn(this, 1); }

  hasHeader(name) {
    if (typeof name !== 'string') throw new ERR_INVALID_ARG_TYPE('name', 'string', name);
    return findHeader(this[kHeaders], StringPrototypeToLowerCase(name)) !== -1;
  }

  removeHeader(name) {
    if (typeof name !== 'string') throw new ERR_INVALID_ARG_TYPE('name', 'string', name);
    if (this[kHeadFixed]) throw new ERR_HTTP_HEADERS_SENT('remove');
    const key = StringPrototypeToLowerCase(name);
    // As in Node, removing Date means sending none.
    if (key === 'date') this.sendDate = false;
    const list = this[kHeaders];
    const i = findHeader(list, key);
    if (i !== -1) list.splice(i, 3);
  }

  // As in Node, the head is fixed from here (headersSent is true, setHeader throws);
  // it goes out with the first write or the end, which may still add Content-Length.
  writeHead(statusCode, reason, obj) {
    if (this[kHeadFixed]) throw new ERR_HTTP_HEADERS_SENT('write');
    const originalStatusCode = statusCode;
    statusCode |= 0;
    if (statusCode < 100 || statusCode > 999) {
      throw new ERR_HTTP_INVALID_STATUS_CODE(originalStatusCode);
    }
    // A phrase the handler gave is checked (below); Node's own need not be.
    let given = true;
    if (typeof reason === 'string') {
      this.statusMessage = reason;
    } else {
      if (!this.statusMessage) {
        this.statusMessage = STATUS_CODES[statusCode] || 'unknown';
        given = false;
      }
      obj ??= reason;
    }
    this.statusCode = statusCode;
    this[kCode] = statusCode;
    if (ArrayIsArray(obj)) {
      if (obj.length && ArrayIsArray(obj[0])) {
        for (const [k, v] of obj) this.appendHeader(k, v);
      } else {
        // As in Node: the pairs replace what setHeader() set under their names, and
        // may repeat a name among themselves.
        if (obj.length % 2 !== 0) throw new ERR_INVALID_ARG_VALUE('headers', obj);
        for (let i = 0; i < obj.length; i += 2) this.removeHeader(obj[i]);
        for (let i = 0; i < obj.length; i += 2) {
          if (obj[i]) this.appendHeader(obj[i], obj[i + 1]);
        }
      }
    } else if (obj) {
      for (const key of ObjectKeys(obj)) {
        if (key) this.setHeader(key, obj[key]);
      }
    }
    if (given && checkInvalidHeaderChar(this.statusMessage)) throw new ERR_INVALID_CHAR('statusMessage');
    this[kHeadFixed] = true;
    return this;
  }

  // Node's names for the implicit head, which libraries (on-headers, compression)
  // use: `_implicitHeader()` fixes the head through writeHead(), so that a wrapped
  // writeHead sees every response; `_header` is the head once fixed.
  _implicitHeader() {
    this.writeHead(this.statusCode);
  }

  get _header() {
    if (!this[kHeadFixed]) return null;
    let head = `HTTP/${this.req.httpVersion === '1.0' ? '1.0' : '1.1'} ${this[kCode]} ${this.statusMessage}\r\n`;
    const flat = flatHeaders(this[kHeaders]);
    for (let i = 0; i < flat.length; i += 2) head += `${flat[i]}: ${flat[i + 1]}\r\n`;
    return `${head}\r\n`;
  }

  get _headerSent() { return this[kHeadSent]; }

  // The handler failed before anything was sent: the response starts over (500).
  _resetHead() {
    this[kHeadFixed] = false;
    this[kHeaders] = null;
    this[kTrailers] = null;
    this.statusMessage = undefined;
    this[kDeclared] = undefined;
    this[kCounted] = 0;
  }

  // The head goes to the client now, as in Node, even with no body yet (a stream of
  // events, a long poll).
  flushHeaders() {
    this._sendHead(undefined, false, true);
  }

  // As in Node, the trailers replace those of an earlier call; a call that throws
  // leaves them as they were.
  addTrailers(headers) {
    // An object, or as in Node an array of `[name, value]` pairs.
    const trailers = [];
    const isArray = ArrayIsArray(headers);
    for (const key of ObjectKeys(headers)) {
      const name = isArray ? headers[key][0] : key;
      const value = isArray ? headers[key][1] : headers[key];
      validateHeaderName(name, 'Trailer name');
      if (kForbiddenTrailers.has(StringPrototypeToLowerCase(name))) {
        throw new ERR_HTTP_FORBIDDEN_TRAILER(name);
      }
      validateHeaderValue(name, value);
      trailers.push(name, `${value}`);
    }
    this[kTrailers] = trailers.length ? trailers : null;
  }

  // As Node's (the socket's inactivity timeout): after `msecs` with no bytes of the
  // response written and none of the request read, 'timeout' is emitted on `req`
  // (while its body is coming) and `res`; when no one listens, the exchange is cut
  // (the client gets no answer, or its answer cut short). 0 turns it off.
  setTimeout(msecs, callback) {
    msecs = getTimerDuration(msecs, 'msecs');
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      this.on('timeout', callback);
    }
    stopTimer(this);
    if (msecs > 0 && !this[kFastFinished]) this[kTimer] = setTimeout(onInactive, msecs, this);
    return this;
  }

  // Bytes moved for this exchange: the inactivity timer starts over.
  _touch() {
    if (this[kTimer] !== null) this[kTimer].refresh();
  }

  // `102 Processing` (RFC 2518) before the response, over HTTP/1.1 and HTTP/3, as
  // writeEarlyHints() says.
  writeProcessing(cb) {
    binding.inform(this[kId], 102, []);
    if (typeof cb === 'function') process.nextTick(guardCallback, this, cb);
  }

  // `100 Continue` now, to a client that sent `Expect: 100-continue` (over HTTP/1.1
  // on plain TCP and HTTP/3; elsewhere it goes when the body is first read).
  writeContinue(cb) {
    binding.inform(this[kId], 100, []);
    if (typeof cb === 'function') process.nextTick(guardCallback, this, cb);
  }

  // `103 Early Hints` before the response, as Node sends it: `hints.link` (a string or
  // an array of them, each `<url>; param=value...`) and any other fields of `hints`.
  // Returns whether the hints go to the client: over HTTP/1.1 (plain TCP) and HTTP/3;
  // not to an HTTP/1.0 client, over HTTP/2 or TLS (hyper, which drives those, cannot
  // send an interim response), or once the head has been sent.
  writeEarlyHints(hints, cb) {
    validateObject(hints, 'hints');
    if (hints.link === null || hints.link === undefined) return false;
    const link = validateLinkHeaderValue(hints.link);
    if (link.length === 0) return false;
    const fields = ['link', link];
    for (const key of ObjectKeys(hints)) {
      if (key === 'link') continue;
      validateHeaderName(key);
      validateHeaderValue(key, hints[key]);
      fields.push(key, `${hints[key]}`);
    }
    // The native side refuses once the head is given.
    const sent = binding.inform(this[kId], 103, fields);
    if (typeof cb === 'function') process.nextTick(guardCallback, this, cb);
    return sent;
  }

  // Sends the head (with the whole body when `end` is true; at once, without waiting
  // for body bytes to go with it, when `flush` is). After this, headers are frozen, as
  // in Node.
  _sendHead(body, end, flush = false) {
    if (this[kHeadSent]) return true;
    if (!this[kHeadFixed]) this._implicitHeader();
    // `res.shouldKeepAlive = false`, as in Node: the connection closes after this
    // response (HTTP/1.x; HTTP/2 and HTTP/3 have no such field).
    if (this.shouldKeepAlive === false && this.req.httpVersionMajor === 1) {
      const list = headersOf(this);
      if (findHeader(list, 'connection') === -1) list.push('connection', 'Connection', 'close');
    }
    const code = this[kCode];
    const flat = flatHeaders(this[kHeaders]);
    const reason = reasonToPass(code, this.statusMessage);
    // Bit 0: the body ends here; bit 1: no Date header (sendDate is false); bit 2:
    // the head goes now (flushHeaders).
    const flags = (end ? 1 : 0) | (this.sendDate ? 0 : 2) | (flush ? 4 : 0);
    // Fields go as call arguments (cheaper for the native side to read), or as one
    // array when there are too many for a call. A field refused there throws with
    // nothing sent, and the head can still be answered (a 500 after the failure).
    const ok = flat.length <= kMaxFieldArgs ?
      binding.respond(this[kId], code, reason, body, flags, ...flat) :
      binding.respond(this[kId], code, reason, body, flags, flat);
    this[kHeadSent] = true;
    this[kHeadFixed] = true;
    if (!ok) this._clientGone();
    return ok;
  }

  _clientGone() {
    if (this[kGone]) return;
    this[kGone] = true;
    this.destroy();
  }

  // The exchange ends here with no answer, or its answer cut short (req.destroy(),
  // req.socket.destroy()); a response already given whole is left to finish.
  _cut() {
    if (this[kGone] || this[kFastEnded] || (this[kStateMade] && (this.destroyed || this.writableFinished))) return;
    binding.abort(this[kId], 0);
    this._clientGone();
  }

  end(chunk, encoding, cb) {
    if (typeof chunk === 'function') {
      cb = chunk;
      chunk = null;
    } else if (typeof encoding === 'function') {
      cb = encoding;
      encoding = null;
    }
    // As Node's end() once the response is ending: the callback waits for 'finish'.
    // (Stream state is only looked at where it was made: asking makes it.)
    if (this[kFastEnded] || (this[kStateMade] && this.writableEnded)) {
      if (typeof cb === 'function') {
        if (this[kFastFinished] || (this[kStateMade] && this.writableFinished)) {
          process.nextTick(guardCallback, this, cb, new ERR_STREAM_ALREADY_FINISHED('end'));
        } else {
          this.once('finish', cb);
        }
      }
      return this;
    }
    validChunk(chunk);
    // The head is fixed here, as in Node (a wrapped writeHead runs); an invalid
    // status code throws before anything is sent.
    if (!this[kHeadFixed]) this._implicitHeader();
    this._countBody(chunk ?? null, encoding, true);
    // Nothing written yet (the stream state was never made): head and whole body in
    // one step, and 'finish'/'close' without Writable's machinery. Not a body shorter
    // than its Content-Length: that goes the stream's way, whose end cuts it.
    if (!this[kStateMade] && !this[kHeadSent] && this[kTrailers] === null &&
        !shortOfDeclared(this)) {
      let body = chunk ?? undefined;
      if (body !== undefined) {
        if (typeof body === 'string') {
          if (encoding && encoding !== 'utf8' && encoding !== 'utf-8') body = Buffer.from(body, encoding);
        }
      }
      // The native side says the body's length (Content-Length) unless a field
      // frames it; as in Node, that length is not one of the response's headers.
      this[kSentWhole] = true;
      this[kFastEnded] = true;
      let sent;
      try {
        sent = this._sendHead(body, true);
      } catch (err) {
        // Nothing went out: the response is not ended.
        this[kSentWhole] = false;
        this[kFastEnded] = false;
        throw err;
      }
      if (sent) process.nextTick(finishFast, this, cb);
      return this;
    }
    return super.end(chunk, encoding, cb);
  }

  write(chunk, encoding, cb) {
    validChunk(chunk);
    // After end() (also one that sent the response whole, which bypassed the
    // Writable): Node's OutgoingMessage fails the call, and the response it ended
    // goes on, closing once.
    if (this[kFastEnded] || (this[kStateMade] && this.writableEnded)) {
      if (typeof encoding === 'function') cb = encoding;
      // Once closed, only the callback hears of it, as in Node.
      const closed = this[kFastClosed] || (this[kStateMade] && this.destroyed);
      process.nextTick(writeAfterEnd, this, new ERR_STREAM_WRITE_AFTER_END(), cb, !closed);
      return false;
    }
    if (!this[kHeadFixed]) this._implicitHeader();
    if (chunk !== null && chunk !== undefined) {
      this._countBody(chunk, typeof encoding === 'string' ? encoding : null, false);
    }
    return super.write(chunk, encoding, cb);
  }

  // A body longer than its Content-Length cannot be sent (the extra bytes would be
  // read as the next response), so write()/end() throw, as Node does with
  // `strictContentLength`; with that set, a body found shorter at end() throws too.
  // Nothing is counted where no body goes (`sendsBody`).
  _countBody(chunk, encoding, ending) {
    if (this[kDeclared] === undefined) this[kDeclared] = declaredLength(this);
    const declared = this[kDeclared];
    if (declared < 0 || !sendsBody(this)) return;
    const total = this[kCounted] + (chunk === null ? 0 : byteLength(chunk, encoding));
    if (total > declared || (ending && this.strictContentLength && total !== declared)) {
      throw new ERR_HTTP_CONTENT_LENGTH_MISMATCH(total, declared);
    }
    this[kCounted] = total;
  }

  [kNativeSinkFree]() {
    return !(this[kStateMade] || this[kFastEnded] || this[kGone] || this[kNative]);
  }

  // The body as a native sink, while no JavaScript has written to it.
  [kNativeSink]() {
    if (this[kStateMade] || this[kFastEnded] || this[kGone] || this[kNative]) return undefined;
    if (!this._sendHead(undefined, false)) return undefined;
    this[kNative] = true;
    return binding.sink(this[kId]);
  }

  [kNativeDone](err) {
    if (err === null) {
      this[kSentWhole] = true;
      this[kFastEnded] = true;
      process.nextTick(finishFast, this);
    } else if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      this._clientGone();
    } else {
      destroyQuietly(this, err);
    }
  }

  _write(chunk, encoding, cb) {
    // A head refused natively fails the write (the stream is destroyed and the
    // request answered 500), rather than leaving the write pending for ever.
    let sent;
    try {
      sent = this._sendHead(undefined, false);
    } catch (err) {
      return cb(err);
    }
    if (!sent) return cb(new ERR_STREAM_DESTROYED('write'));
    if (typeof chunk === 'string' && encoding !== 'utf8' && encoding !== 'utf-8') {
      chunk = Buffer.from(chunk, encoding);
    }
    this._touch();
    const r = binding.write(this[kId], chunk);
    if (r === true) return cb();
    if (r === false) {
      this._clientGone();
      return cb(new ERR_STREAM_DESTROYED('write'));
    }
    r.then((ok) => {
      if (ok) return cb();
      this._clientGone();
      cb(new ERR_STREAM_DESTROYED('write'));
    }, cb);
  }

  _final(cb) {
    if (this[kSentWhole] || this[kNative]) return cb();
    if (!this._sendHead(undefined, false)) return cb();
    // A body shorter than its Content-Length is cut, not ended, on every protocol:
    // the client must not take it for whole (HTTP/2 would end the stream cleanly).
    if (shortOfDeclared(this)) {
      binding.abort(this[kId], 0);
      return cb();
    }
    binding.end(this[kId], this[kTrailers] ?? undefined);
    cb();
  }

  _destroy(err, cb) {
    stopTimer(this);
    // Destroyed before the end was sent: never an answer that looks complete. Before
    // the head, an error (a failed pipeline, a refused head) is answered 500; a plain
    // destroy() hangs up with no answer, as Node's destroys the socket.
    if (!this.writableFinished && !this[kGone] && !this[kSentWhole]) {
      binding.abort(this[kId], err || this[kFailed] ? 500 : 0);
    }
    const onClose = this[kOnClose];
    if (onClose !== null) onClose(this, this.writableFinished);
    // As in Node, the error goes to whoever listens (finished(), pipeline()); with
    // no listener it is not an uncaught one.
    cb(this.listenerCount('error') === 0 ? null : err);
  }
}

// A HEAD response and one without a body (204, 304) send none, whatever they say.
function sendsBody(res) {
  const code = res[kCode];
  return res.req.method !== 'HEAD' && code !== 204 && code !== 304;
}

// As in Node, a body chunk is a string, a Buffer or a Uint8Array (not another view),
// checked before anything is fixed or counted.
function validChunk(chunk) {
  if (chunk !== null && chunk !== undefined && typeof chunk !== 'string' && !isUint8Array(chunk)) {
    throw new ERR_INVALID_ARG_TYPE('chunk', ['string', 'Buffer', 'Uint8Array'], chunk);
  }
}

function writeAfterEnd(res, err, cb, emit) {
  if (typeof cb === 'function') guardCallback(res, cb, err);
  if (emit && res.listenerCount('error') > 0) guardListeners(res, emitError, res, err);
}

function emitError(res, err) {
  res.emit('error', err);
}

// The request's socket, made when first asked for (making it costs a request that
// never uses it).
defineLazyProperty(ServerResponse.prototype, 'socket', (res) => socketOf(res.req));

module.exports = { ServerResponse, kNative, kHeadSent, kOnClose, kFastEnded };
