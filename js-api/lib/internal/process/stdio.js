'use strict';

// process.stdout / process.stderr: synchronous writers to file descriptors 1 and 2
// (Node writes to files and pipes synchronously too). They are EventEmitters with
// the Writable methods scripts use; weir has no stdin reader yet.

const EventEmitter = require('events');
const binding = internalBinding('process');

class StdioWriter extends EventEmitter {
  constructor(fd) {
    super();
    this.fd = fd;
    this.isTTY = binding.isatty(fd);
    this.writable = true;
    this._isStdio = true;
  }

  get columns() {
    const v = +process.env.COLUMNS;
    return this.isTTY ? (v > 0 ? v : 80) : undefined;
  }

  write(chunk, encoding, cb) {
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (typeof chunk === 'string') {
      if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8') {
        chunk = require('buffer').Buffer.from(chunk, encoding);
      }
    } else if (!ArrayBuffer.isView(chunk)) {
      const { ERR_INVALID_ARG_TYPE } = require('internal/errors').codes;
      throw new ERR_INVALID_ARG_TYPE('chunk', ['string', 'Buffer', 'TypedArray', 'DataView'], chunk);
    } else if (!(chunk instanceof Uint8Array)) {
      chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    binding.print(chunk, this.fd);
    if (typeof cb === 'function') process.nextTick(cb, null);
    return true;
  }

  end(chunk, encoding, cb) {
    if (typeof chunk === 'function') {
      cb = chunk;
      chunk = undefined;
    }
    if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
    if (typeof cb === 'function') process.nextTick(cb);
    return this;
  }

  cork() {}
  uncork() {}
  setDefaultEncoding() { return this; }
  hasColors() { return this.isTTY; }
  getColorDepth() { return this.isTTY ? 8 : 1; }
}

function createWriter(fd) {
  return new StdioWriter(fd);
}

function stdin() {
  const { ERR_METHOD_NOT_IMPLEMENTED } = require('internal/errors').codes;
  throw new ERR_METHOD_NOT_IMPLEMENTED('process.stdin');
}

module.exports = { createWriter, stdin };
