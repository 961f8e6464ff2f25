'use strict';

// `req`: Node's http.IncomingMessage, a Readable of the request body. Chunks are
// read from the native exchange only when the consumer wants them (backpressure to
// the client), and arrive as Buffers over the native memory (no copy).

const {
  ArrayIsArray,
  ObjectDefineProperty,
  ObjectPrototypeHasOwnProperty,
  StringPrototypeToLowerCase,
} = primordials;

const { finished } = require('stream');
const { guardListeners } = require('internal/streams/utils');
const EventEmitter = require('events');
const { LazyReadable, defineLazyProperty, kStateMade } = require('internal/http/lazy_stream');
const {
  kNativeSource, kNativeSourceFree, kNativeDone, destroyQuietly,
} = require('internal/streams/native');
const { Buffer } = require('buffer');
const { validateFunction } = require('internal/validators');
const binding = internalBinding('http');

const kId = Symbol('kId');
const kHeaders = Symbol('kHeaders');
const kHeadersDistinct = Symbol('kHeadersDistinct');
const kFields = Symbol('kFields');
const kRawHeaders = Symbol('kRawHeaders');
const kReading = Symbol('kReading');
const kHasBody = Symbol('kHasBody');
const kRemote = Symbol('kRemote');
const kRemotePort = Symbol('kRemotePort');
const kEncrypted = Symbol('kEncrypted');
const kSocketInfo = Symbol('kSocketInfo');
// Something started reading the body (JavaScript or a native pipe).
const kConsumed = Symbol('kConsumed');
// The body is read on after the response ended (see _responseDone).
const kReadOn = Symbol('kReadOn');

// `httpVersionMajor`/`Minor` of the versions weir speaks (all `httpVersion` can be).
const kVersions = { __proto__: null, '1.0': [1, 0], '1.1': [1, 1], '2.0': [2, 0], '3.0': [3, 0] };

const kExchangeId = Symbol('kExchangeId');
const kLocal = Symbol('kLocal');
const kOwner = Symbol('kOwner');
// The request's response (set by the dispatcher): destroying the request cuts it.
const kResponse = Symbol('kResponse');
// Set by the dispatcher: destroying the request leaves the answer given to go on.
const kKeepAnswer = Symbol('kKeepAnswer');

function familyOf(address) {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

// What Node users read from req.socket: addresses, TLS flag, and no-op tuning. The
// local address is asked for when first read (while the exchange lasts). destroy()
// ends the exchange as Node's ends the connection: the request is destroyed and its
// response cut. An event emitter: 'close' is emitted when the client goes away (or
// destroy() ends the exchange) before its response ended, the cleanup hook of Node
// handlers that stream (server-sent events). One that completed leaves the socket
// open, as a kept-alive connection stays.
class SocketInfo extends EventEmitter {
  constructor(remoteAddress, remotePort, encrypted, id, owner) {
    super();
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.remoteFamily = familyOf(remoteAddress);
    this.encrypted = encrypted;
    this.destroyed = false;
    this.readable = true;
    this.writable = true;
    this[kExchangeId] = id;
    this[kLocal] = null;
    this[kOwner] = owner;
  }
  get localAddress() { return localOf(this)?.[0]; }
  get localPort() { return localOf(this)?.[1]; }
  get localFamily() {
    const address = this.localAddress;
    return address === undefined ? undefined : familyOf(address);
  }
  address() {
    const local = localOf(this);
    return local === undefined ? {} : { address: local[0], family: familyOf(local[0]), port: local[1] };
  }
  setTimeout(msecs, callback) {
    this[kOwner].setTimeout(msecs, callback);
    return this;
  }
  setNoDelay() { return this; }
  setKeepAlive() { return this; }
  ref() { return this; }
  unref() { return this; }
  get readyState() { return this.destroyed ? 'closed' : 'open'; }
  destroy(err) {
    if (!this.destroyed) {
      this[kOwner][kResponse]?._cut();
      this[kOwner].destroy(err);
      this._gone();
    }
    return this;
  }
  // The exchange ended without its response: the connection is gone.
  _gone() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.readable = false;
    this.writable = false;
    // After the response's 'close', as Node orders them.
    process.nextTick(() => process.nextTick(() => this.emit('close', false)));
  }
}

// The client left, or the exchange was cut: a socket made for the request closes.
function socketGone(req) {
  req[kSocketInfo]?._gone();
}

function localOf(socket) {
  if (socket[kLocal] === null) socket[kLocal] = binding.localAddress(socket[kExchangeId]);
  return socket[kLocal];
}

// The request's socket, made once: `req.socket` and `res.socket` show it (and keep it
// when something sets `req.socket = null`, as stream destruction does).
function socketOf(req) {
  return req[kSocketInfo] ??= new SocketInfo(req[kRemote], req[kRemotePort], req[kEncrypted], req[kId], req);
}

class IncomingMessage extends LazyReadable {
  constructor(id, method, url, httpVersion, fields, remoteAddress, remotePort, hasBody, encrypted) {
    super();
    this[kId] = id;
    this[kReading] = false;
    this[kHasBody] = hasBody;
    this[kConsumed] = false;
    this[kReadOn] = false;
    this.method = method;
    this.url = url;
    this.httpVersion = httpVersion;
    const version = kVersions[httpVersion];
    this.httpVersionMajor = version[0];
    this.httpVersionMinor = version[1];
    // The fields as one string; `rawHeaders` and `headers` are made from it when first
    // read (see below).
    this[kFields] = fields ?? '';
    this[kRawHeaders] = null;
    this.rawTrailers = [];
    this.trailers = {};
    this[kHeaders] = null;
    this[kHeadersDistinct] = null;
    // `socket` is made on first use (see below); most handlers never look at it.
    this[kRemote] = remoteAddress;
    this[kRemotePort] = remotePort;
    this[kEncrypted] = encrypted;
    this[kSocketInfo] = null;
    this[kResponse] = null;
    this.aborted = false;
    this.complete = !hasBody;
    this.upgrade = false;
    this.statusCode = null;
    this.statusMessage = null;
  }

  // The fields arrive as one string of `name: value` lines (as the client sent them
  // over HTTP/1.1), made into `rawHeaders` or `headers` natively when first read: most
  // handlers read neither, or only `headers`.
  get rawHeaders() {
    return (this[kRawHeaders] ??= binding.rawHeaders(this[kFields]));
  }
  set rawHeaders(val) { this[kRawHeaders] = val; }

  // As in Node, made from the fields as they came, whatever `rawHeaders` is set to.
  get headers() {
    return (this[kHeaders] ??= binding.headers(this[kFields]));
  }
  set headers(val) { this[kHeaders] = val; }

  get headersDistinct() {
    if (this[kHeadersDistinct] === null) {
      const dest = {};
      const src = this.rawHeaders;
      for (let n = 0; n < src.length; n += 2) {
        const key = src[n].toLowerCase();
        if (ObjectPrototypeHasOwnProperty(dest, key)) {
          dest[key].push(src[n + 1]);
        } else if (key === '__proto__') {
          // An own property, as in Node (assigning would set the prototype).
          ObjectDefineProperty(dest, key, {
            __proto__: null, value: [src[n + 1]], writable: true, enumerable: true, configurable: true,
          });
        } else {
          dest[key] = [src[n + 1]];
        }
      }
      this[kHeadersDistinct] = dest;
    }
    return this[kHeadersDistinct];
  }

  get connection() { return this.socket; }

  // As Node's: the connection's inactivity timeout, shared with the response (see
  // ServerResponse#setTimeout); `callback` listens for 'timeout' on the request.
  setTimeout(msecs, callback) {
    if (callback !== undefined) {
      validateFunction(callback, 'callback');
      this.on('timeout', callback);
    }
    this[kResponse]?.setTimeout(msecs);
    return this;
  }

  // The body as a native source, while no JavaScript has read from it.
  [kNativeSourceFree]() {
    return !(this[kStateMade] || this[kReading]);
  }

  [kNativeSource]() {
    if (!this[kNativeSourceFree]()) return undefined;
    this[kReading] = true;
    this[kConsumed] = true;
    return binding.source(this[kId]);
  }

  [kNativeDone](err) {
    // The body was consumed natively: reading now finds its end.
    this[kReading] = false;
    this[kHasBody] = false;
    this.complete = err === null;
    if (err !== null) destroyQuietly(this, err);
    else this.resume();
  }

  // A body read on after its response: each chunk its reader takes (from the
  // stream's buffer, which the native side does not see) tells the native side the
  // reader is not idle (--body-timeout-ms). `read(0)`, the stream's own refill, takes
  // nothing.
  read(n) {
    if (this[kReadOn] && n !== 0) binding.bodyTaken(this[kId]);
    return super.read(n);
  }

  _read() {
    // A request without a body ends on the first read (never before: handlers that
    // ignore the body pay nothing for it).
    this._consuming = true;
    if (!this[kHasBody]) return this.push(null);
    this[kConsumed] = true;
    if (this[kReading]) return;
    this[kReading] = true;
    binding.read(this[kId]).then((chunk) => {
      this[kReading] = false;
      // A listener that throws ('data', 'readable') has the push on its stack.
      guardListeners(this, pushRead, this, chunk);
    }, (err) => {
      this[kReading] = false;
      this.destroy(err);
    });
  }

  _destroy(err, cb) {
    // An 'aborted' listener that throws does not keep the body from being let go of
    // below: its error is reported on the next tick.
    let threw = false;
    let thrown;
    if (!this.readableEnded || !this.complete) {
      this.aborted = true;
      try {
        this.emit('aborted');
      } catch (e) {
        threw = true;
        thrown = e;
      }
    }
    // Destroyed before its body arrived whole (the handler gave up on it, as when an
    // upload passes a limit): as Node destroys the socket, the client gets no answer,
    // or its answer cut short, unless the response was already given whole. Not when
    // stream code let go of the request first (`req.socket = null`, as a `break` out
    // of `for await (const chunk of req)` does): as in Node, the response goes on.
    if (!this.complete) {
      if (this.socket !== null && !this[kKeepAnswer]) this[kResponse]?._cut();
      // The response goes on (or is done): the native side drops what is left.
      binding.dropBody(this[kId]);
    }
    // Node emits 'error' on an aborted request only when someone listens for it.
    process.nextTick(() => cb(this.listenerCount('error') === 0 ? null : err));
    // The throw goes on from a tick of its own, as a listener's throw on the others.
    if (threw) process.nextTick(guardListeners, this, rethrow, thrown);
  }

  // Node's req._dump(): discard an unread body so the connection can be reused.
  _dump() {
    this._dumped = true;
    if (!this.readableEnded && !this.destroyed) this.resume();
  }

  // The response is done. As Node dumps a request nobody reads, it ends ('end', then
  // 'close'); the native side discards the rest of its body. One being read (or about
  // to be: a 'data' listener added since, as Node tells by `resumeScheduled`) goes on
  // being read, as in Node: the native side keeps its body for it, and this returns
  // true. Without stream state there is no listener and no reader, and nothing to tell.
  _responseDone() {
    if (!this[kStateMade] || this.readableEnded || this.destroyed) return false;
    if (this[kConsumed] || this._readableState.resumeScheduled) {
      this[kReadOn] = !this.complete;
      return this[kReadOn];
    }
    this[kHasBody] = false;
    this.complete = true;
    this.removeAllListeners('data');
    this.resume();
    return false;
  }
}

function rethrow(err) {
  throw err;
}

defineLazyProperty(IncomingMessage.prototype, 'socket', socketOf);
// Node's flags, by which stream code knows a server request (see
// `isServerRequest`); `_consuming` is set once the body is read.
IncomingMessage.prototype._consuming = false;
IncomingMessage.prototype._dumped = false;

ObjectDefineProperty(IncomingMessage.prototype, Symbol.toStringTag, {
  __proto__: null, value: 'IncomingMessage', configurable: true,
});

// What a read of the body gave: a chunk, or the end, which comes as `null` or as the
// trailer fields, which Node gives as raw pairs and as an object of lower-case names
// whose repeated values are joined with ', '.
function pushRead(req, chunk) {
  if (chunk === null || ArrayIsArray(chunk)) {
    req.complete = true;
    if (chunk !== null) {
      const trailers = {};
      for (let i = 0; i < chunk.length; i += 2) {
        const name = StringPrototypeToLowerCase(chunk[i]);
        if (name === '__proto__') continue;
        trailers[name] = ObjectPrototypeHasOwnProperty(trailers, name) ?
          `${trailers[name]}, ${chunk[i + 1]}` : chunk[i + 1];
      }
      req.rawTrailers = chunk;
      req.trailers = trailers;
    }
    req.push(null);
  } else {
    req[kResponse]?._touch();
    req.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
}

module.exports = {
  IncomingMessage, kId, kHasBody, kResponse, kKeepAnswer, SocketInfo, socketOf, socketGone,
  finished,
};
