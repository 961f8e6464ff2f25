'use strict';

// fs.ReadStream over a native file source: reads run off the event loop (io_uring or
// the thread pool) into pooled buffers that reach JavaScript as Buffers without a copy.
// `pipeline(fs.createReadStream(p), res)` hands the source to Rust whole: no chunk
// crosses into JavaScript. Write streams and file descriptors are not supported yet.

const {
  codes: {
    ERR_INVALID_ARG_VALUE,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_OUT_OF_RANGE,
  },
} = require('internal/errors');
const { validateInteger } = require('internal/validators');
const { Readable } = require('stream');
const { Buffer } = require('buffer');
const {
  kNativeSource, kNativeSourceFree, kNativeReady, kNativeDone, destroyQuietly,
} = require('internal/streams/native');
const binding = internalBinding('fs');
const streams = internalBinding('stream');

const kRid = Symbol('kRid');
const kTaken = Symbol('kTaken');
const kReading = Symbol('kReading');
const kOpening = Symbol('kOpening');

class ReadStream extends Readable {
  constructor(path, options) {
    options = { ...options };
    if (options.highWaterMark === undefined) options.highWaterMark = 64 * 1024;
    if (options.autoDestroy === undefined) options.autoDestroy = options.autoClose !== false;
    if (options.fd !== undefined && options.fd !== null) {
      throw new ERR_METHOD_NOT_IMPLEMENTED('createReadStream() with an fd option');
    }
    if (options.fs !== undefined) {
      throw new ERR_METHOD_NOT_IMPLEMENTED('createReadStream() with an fs option');
    }
    const flags = options.flags ?? 'r';
    if (flags !== 'r' && flags !== 'rs' && flags !== 'sr') {
      throw new ERR_INVALID_ARG_VALUE('options.flags', flags, 'is not supported by createReadStream (only "r")');
    }
    // Validated before the stream exists: a constructor that throws must leave no
    // open pending behind.
    const start = options.start;
    let end = options.end;
    if (start !== undefined) validateInteger(start, 'start', 0);
    if (end === undefined) {
      end = Infinity;
    } else if (end !== Infinity) {
      validateInteger(end, 'end', 0);
      if (start !== undefined && start > end) {
        throw new ERR_OUT_OF_RANGE('start', `<= "end" (here: ${end})`, start);
      }
    }
    super(options);
    this.path = path;
    this.flags = flags;
    this.mode = options.mode ?? 0o666;
    this.fd = null;
    this.start = start;
    this.end = end;
    this.pos = start;
    this.bytesRead = 0;
    this[kTaken] = false;
    this[kReading] = false;
    this[kRid] = binding.streamCreate(path, this.start ?? 0,
                                      this.end === Infinity ? -1 : this.end,
                                      this.readableHighWaterMark);
    // Opened now, not in _construct: a native pipe may take the resource first.
    this[kOpening] = binding.streamOpen(this[kRid]);
  }

  get pending() { return this.fd === null; }

  _construct(callback) {
    this[kOpening].then(() => {
      // Not an OS descriptor: weir's id for the open file.
      this.fd = this[kRid];
      callback();
      this.emit('open', this.fd);
      this.emit('ready');
    }, (err) => {
      // Taken by a native pipe, the error reaches the pipe's callback instead.
      callback(this[kTaken] ? undefined : err);
    });
  }

  [kNativeReady]() {
    return this[kOpening];
  }

  [kNativeSourceFree]() {
    return !(this[kTaken] || this[kReading] || this.bytesRead > 0 || this.destroyed);
  }

  // The whole source for a native pipe, while JavaScript has read nothing.
  [kNativeSource]() {
    if (!this[kNativeSourceFree]()) return undefined;
    this[kTaken] = true;
    binding.streamNative(this[kRid]);
    return this[kRid];
  }

  [kNativeDone](err) {
    if (err !== null) return destroyQuietly(this, err);
    // Consumed natively: the stream ends as a JavaScript pipe would have ended it.
    this.push(null);
    this.resume();
  }

  _read() {
    if (this[kTaken] || this[kReading]) return;
    this[kReading] = true;
    streams.read(this[kRid]).then((chunk) => {
      this[kReading] = false;
      if (chunk === null) return this.push(null);
      this.bytesRead += chunk.byteLength;
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }, (err) => {
      this[kReading] = false;
      this.destroy(err);
    });
  }

  _destroy(err, callback) {
    if (!this[kTaken]) streams.close(this[kRid]);
    this.fd = null;
    callback(err);
  }

  close(callback) {
    if (typeof callback === 'function') {
      require('stream').finished(this, callback);
    }
    this.destroy();
  }
}

function createReadStream(path, options) {
  return new ReadStream(path, options);
}

module.exports = { ReadStream, createReadStream };
