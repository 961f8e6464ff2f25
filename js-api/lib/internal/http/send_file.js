'use strict';

// sendFile(req, res, path, options): answers a request with a file, natively. The
// planner in Rust picks 200, 206 (one range or multipart/byteranges), 304, 412 or 416
// from the request's Range and If-* fields, and the bytes go from the file to the
// connection without JavaScript.

const {
  codes: {
    ERR_HTTP_HEADERS_SENT,
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
  },
} = require('internal/errors');
const { kId } = require('internal/http/incoming');
const { kNative, kHeadSent } = require('internal/http/outgoing');
const { kNativeDone } = require('internal/streams/native');
const { kStateMade } = require('internal/http/lazy_stream');
const binding = internalBinding('http');

function flatten(into, name, value) {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) into.push(name, String(v));
  } else {
    into.push(name, String(value));
  }
}

function sendFile(req, res, path, options) {
  if (req == null || typeof req[kId] !== 'number') {
    throw new ERR_INVALID_ARG_TYPE('req', 'the IncomingMessage of a weir handler', req);
  }
  if (res == null || res[kId] !== req[kId]) {
    throw new ERR_INVALID_ARG_VALUE('res', res, 'must be the ServerResponse of the same request');
  }
  if (typeof path !== 'string') throw new ERR_INVALID_ARG_TYPE('path', 'string', path);
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new ERR_INVALID_ARG_TYPE('options', 'Object', options);
  const { root, maxAge, cacheControl, contentType, headers, maxRanges, fallthrough } = options;
  if (root !== undefined && typeof root !== 'string') {
    throw new ERR_INVALID_ARG_TYPE('options.root', 'string', root);
  }
  if (root === undefined && !path.startsWith('/')) {
    throw new ERR_INVALID_ARG_VALUE('path', path, 'must be absolute, or relative to options.root');
  }
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !(maxAge >= 0) || !Number.isFinite(maxAge))) {
    throw new ERR_INVALID_ARG_VALUE('options.maxAge', maxAge, 'must be a number of seconds >= 0');
  }
  if (maxRanges !== undefined && (typeof maxRanges !== 'number' || !(maxRanges >= 0))) {
    throw new ERR_INVALID_ARG_VALUE('options.maxRanges', maxRanges, 'must be a number >= 0');
  }
  if (res.headersSent || res[kStateMade] || res[kNative]) {
    throw new ERR_HTTP_HEADERS_SENT('send a file');
  }
  // What the handler set on `res`, then the options (which win).
  const flat = [];
  const own = res.getHeaders();
  const overridden = new Set();
  if (headers != null) for (const name of Object.keys(headers)) overridden.add(name.toLowerCase());
  if (cacheControl !== undefined || maxAge !== undefined) overridden.add('cache-control');
  for (const name of Object.keys(own)) {
    if (!overridden.has(name)) flatten(flat, name, own[name]);
  }
  if (cacheControl !== undefined) flat.push('cache-control', String(cacheControl));
  else if (maxAge !== undefined) flat.push('cache-control', `public, max-age=${Math.floor(maxAge)}`);
  if (headers != null) {
    for (const name of Object.keys(headers)) flatten(flat, name.toLowerCase(), headers[name]);
  }
  let type = contentType;
  if (type === undefined && own['content-type'] !== undefined) type = String(own['content-type']);
  res[kNative] = true;
  return binding.sendFile(req[kId], root ?? null, path, type ?? null, flat,
                          maxRanges ?? 16, fallthrough === true,
                          !res.sendDate).then((status) => {
    if (status > 0) {
      res.statusCode = status;
      res[kHeadSent] = true;
      res[kNativeDone](null);
    } else if (status === 0) {
      res._clientGone();
    } else {
      res[kNative] = false;
      const err = new Error(`no such file: ${path}`);
      err.code = 'ENOENT';
      err.status = 404;
      throw err;
    }
    return status;
  });
}

module.exports = { sendFile };
