'use strict';
// Adapted from Node.js src/node_buffer.cc (MIT, see js-api/LICENSE.node).
// internalBinding('buffer'): the object Node's C++ buffer binding exposes to
// lib/buffer.js, lib/internal/buffer.js and lib/internal/encoding.js, built on
// weir's op_buffer_* / op_encoding_* ops. Argument handling that Node does in
// C++ (ParseArrayIndex, "argument must be a buffer", ...) is done here, so the
// ops always receive a Uint8Array and validated integer offsets.

const {
  ArrayBufferIsView,
  DataViewPrototypeGetBuffer,
  DataViewPrototypeGetByteLength,
  DataViewPrototypeGetByteOffset,
  MathMin,
  MathTrunc,
  ObjectDefineProperty,
  ObjectSetPrototypeOf,
  RangeError,
  StringPrototypeToLowerCase,
  TypeError,
  TypedArrayPrototypeFill,
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetByteOffset,
  TypedArrayPrototypeGetSymbolToStringTag,
  Uint32Array,
  Uint8Array,
  TypedArrayPrototypeSet,
} = primordials;

// ArrayBuffer.prototype.transfer, where the JavaScript engine has it.
const { ArrayBufferPrototypeTransfer } = primordials;

const {
  op_buffer_byte_length_utf8,
  op_buffer_slice,
  op_buffer_write,
  op_buffer_from_string,
  op_buffer_compare,
  op_buffer_compare_offset,
  op_buffer_copy,
  op_buffer_fill,
  op_buffer_index_of_string,
  op_buffer_index_of_buffer,
  op_buffer_index_of_number,
  op_buffer_swap16,
  op_buffer_swap32,
  op_buffer_swap64,
  op_buffer_is_utf8,
  op_buffer_is_ascii,
  op_encoding_encode_utf8,
  op_encoding_encode_into,
  op_encoding_decode_utf8,
} = internalBinding('ops');

// Encoding ids understood by the ops. The index in `encodings` is the id, so
// lib/buffer.js can build its name -> id map from it.
const UTF8 = 0;
const UCS2 = 1;
const LATIN1 = 2;
const ASCII = 3;
const BASE64 = 4;
const BASE64URL = 5;
const HEX = 6;
const encodings = ['utf8', 'utf16le', 'latin1', 'ascii', 'base64', 'base64url', 'hex'];

// v8::TypedArray::kMaxLength and v8::String::kMaxLength on 64-bit platforms,
// as reported by Node.js 18.
const kMaxLength = 2 ** 32;
const kStringMaxLength = 2 ** 29 - 24;

// Errors thrown by Node's C++ side: a plain error with an own `code`.
function nodeError(Base, code, message) {
  const err = new Base(message);
  err.code = code;
  return err;
}

// Returns a Uint8Array over the bytes of an ArrayBufferView, or undefined if
// `value` is not an ArrayBufferView (Buffer::HasInstance).
function toUint8Array(value) {
  const tag = TypedArrayPrototypeGetSymbolToStringTag(value);
  if (tag === 'Uint8Array')
    return value;
  if (tag !== undefined) {
    return new Uint8Array(TypedArrayPrototypeGetBuffer(value),
                          TypedArrayPrototypeGetByteOffset(value),
                          TypedArrayPrototypeGetByteLength(value));
  }
  if (ArrayBufferIsView(value)) {
    return new Uint8Array(DataViewPrototypeGetBuffer(value),
                          DataViewPrototypeGetByteOffset(value),
                          DataViewPrototypeGetByteLength(value));
  }
  return undefined;
}

// THROW_AND_RETURN_UNLESS_BUFFER
function bufferArg(value) {
  const u8 = toUint8Array(value);
  if (u8 === undefined) {
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE',
                    'argument must be a buffer');
  }
  return u8;
}

function indexOutOfRange() {
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', 'Index out of range');
}

// ParseArrayIndex: undefined -> default; otherwise ToNumber, truncated
// (NaN -> 0); negative values are out of range.
function parseArrayIndex(arg, def) {
  if (arg === undefined)
    return def;
  let n = MathTrunc(+arg);
  if (n !== n)
    n = 0;
  if (n < 0)
    throw indexOutOfRange();
  return n;
}

// ParseEncoding for the names lib/buffer.js has already validated.
function parseEncoding(encoding, def) {
  if (typeof encoding !== 'string')
    return def;
  switch (StringPrototypeToLowerCase(encoding)) {
    case 'utf8':
    case 'utf-8':
    case 'buffer':
      return UTF8;
    case 'ucs2':
    case 'ucs-2':
    case 'utf16le':
    case 'utf-16le':
      return UCS2;
    case 'latin1':
    case 'binary':
      return LATIN1;
    case 'ascii':
      return ASCII;
    case 'base64':
      return BASE64;
    case 'base64url':
      return BASE64URL;
    case 'hex':
      return HEX;
    default:
      return def;
  }
}

// Give the functions the name and length of their C++ counterparts.
function named(name, fn) {
  ObjectDefineProperty(fn, 'name', { __proto__: null, value: name });
  ObjectDefineProperty(fn, 'length', { __proto__: null, value: 0 });
  return fn;
}

// Buffer.prototype.<enc>Slice(start, end)
function makeSlice(name, enc) {
  return named(name, function(start, end) {
    const buf = bufferArg(this);
    const length = buf.length;
    if (length === 0)
      return '';
    start = parseArrayIndex(start, 0);
    end = parseArrayIndex(end, length);
    if (end < start)
      end = start;
    if (end > length)
      throw indexOutOfRange();
    return op_buffer_slice(buf, enc, start, end);
  });
}

// Buffer.prototype.<enc>Write(string, offset, length)
function makeWrite(name, enc) {
  return named(name, function(string, offset, length) {
    const buf = bufferArg(this);
    if (typeof string !== 'string') {
      throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE',
                      'argument must be a string');
    }
    const bufLength = buf.length;
    offset = parseArrayIndex(offset, 0);
    if (offset > bufLength) {
      throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS',
                      '"offset" is outside of buffer bounds');
    }
    let maxLength = parseArrayIndex(length, bufLength - offset);
    maxLength = MathMin(bufLength - offset, maxLength);
    if (maxLength === 0)
      return 0;
    return op_buffer_write(buf, string, offset, maxLength, enc);
  });
}

let bufferPrototype;
function getBufferPrototype() {
  // Set by the bootstrap through setBufferPrototype(); until then use the
  // prototype Buffer instances share.
  bufferPrototype ??= require('internal/buffer').FastBuffer.prototype;
  return bufferPrototype;
}

function setBufferPrototype(proto) {
  bufferPrototype = proto;
}

function createFromString(string, encoding) {
  const u8 = op_buffer_from_string(string, encoding);
  ObjectSetPrototypeOf(u8, getBufferPrototype());
  return u8;
}

// The allocator toggle has no counterpart in weir: new ArrayBuffers are always
// zero-filled. Like Node with an allocator it does not own, hand out a dummy
// so that writes to it are no-ops.
// Node's zero-fill toggle: `Buffer.allocUnsafe` sets it to 0 around an allocation to
// get uninitialized memory; the isolate's allocator reads it (the same array's memory).
function getZeroFillToggle() {
  const toggle = new Uint32Array(1);
  toggle[0] = 1;
  internalBinding('ops').op_buffer_zero_fill_toggle(toggle);
  return toggle;
}

function byteLengthUtf8(string) {
  return op_buffer_byte_length_utf8(string);
}

function compare(a, b) {
  return op_buffer_compare(bufferArg(a), bufferArg(b));
}

function compareOffset(source, target, targetStart, sourceStart, targetEnd,
                       sourceEnd) {
  source = bufferArg(source);
  target = bufferArg(target);
  targetStart = parseArrayIndex(targetStart, 0);
  sourceStart = parseArrayIndex(sourceStart, 0);
  targetEnd = parseArrayIndex(targetEnd, target.length);
  sourceEnd = parseArrayIndex(sourceEnd, source.length);
  if (sourceStart > source.length) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE',
                    'The value of "sourceStart" is out of range.');
  }
  if (targetStart > target.length) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE',
                    'The value of "targetStart" is out of range.');
  }
  // lib/buffer.js only passes ranges inside both buffers.
  if (sourceStart > sourceEnd || targetStart > targetEnd ||
      sourceEnd > source.length || targetEnd > target.length)
    throw indexOutOfRange();
  return op_buffer_compare_offset(source, target, targetStart, sourceStart,
                                  targetEnd, sourceEnd);
}

// bytesCopied = copy(source, target, targetStart, sourceStart, sourceEnd)
function copy(source, target, targetStart, sourceStart, sourceEnd) {
  source = bufferArg(source);
  target = bufferArg(target);
  targetStart = parseArrayIndex(targetStart, 0);
  sourceStart = parseArrayIndex(sourceStart, 0);
  sourceEnd = parseArrayIndex(sourceEnd, source.length);
  const targetLength = target.length;
  if (targetStart >= targetLength || sourceStart >= sourceEnd)
    return 0;
  if (sourceStart > source.length) {
    throw nodeError(RangeError, 'ERR_OUT_OF_RANGE',
                    'The value of "sourceStart" is out of range.');
  }
  if (sourceEnd - sourceStart > targetLength - targetStart)
    sourceEnd = sourceStart + targetLength - targetStart;
  const toCopy = MathMin(sourceEnd - sourceStart, targetLength - targetStart,
                         source.length - sourceStart);
  return op_buffer_copy(source, target, targetStart, sourceStart, toCopy);
}

// fill(buffer, value, start, end, encoding): undefined on success, -1 when the
// value encodes to zero bytes, -2 when the range is out of bounds.
function fill(buffer, value, start, end, encoding) {
  const buf = bufferArg(buffer);
  start = parseArrayIndex(start, 0);
  end = parseArrayIndex(end, 0);
  if (start > end || end > buf.length)
    return -2;
  const bytes = toUint8Array(value);
  if (bytes !== undefined)
    return op_buffer_fill(buf, bytes, start, end, UTF8);
  if (typeof value !== 'string') {
    TypedArrayPrototypeFill(buf, (+value >>> 0) & 255, start, end);
    return;
  }
  return op_buffer_fill(buf, value, start, end, parseEncoding(encoding, UTF8));
}

function indexOfString(buffer, needle, byteOffset, encoding, dir) {
  return op_buffer_index_of_string(bufferArg(buffer), needle, byteOffset,
                                   encoding, dir);
}

function indexOfBuffer(buffer, needle, byteOffset, encoding, dir) {
  return op_buffer_index_of_buffer(bufferArg(buffer), bufferArg(needle),
                                   byteOffset, encoding, dir);
}

function indexOfNumber(buffer, needle, byteOffset, dir) {
  return op_buffer_index_of_number(bufferArg(buffer), needle, byteOffset, dir);
}

function swap16(buffer) {
  op_buffer_swap16(bufferArg(buffer));
  return buffer;
}

function swap32(buffer) {
  op_buffer_swap32(bufferArg(buffer));
  return buffer;
}

function swap64(buffer) {
  op_buffer_swap64(bufferArg(buffer));
  return buffer;
}

function isUtf8(input) {
  return op_buffer_is_utf8(input);
}

function isAscii(input) {
  return op_buffer_is_ascii(input);
}

// TextEncoder.prototype.encode: a plain Uint8Array, not a Buffer.
function encodeUtf8String(string) {
  return op_encoding_encode_utf8(string);
}

// TextEncoder.prototype.encodeInto: results = [read, written]
function encodeInto(source, dest, results) {
  op_encoding_encode_into(source, dest, results);
}

// TextDecoder's UTF-8 fast path.
function decodeUTF8(input, ignoreBOM, fatal) {
  return op_encoding_decode_utf8(input, ignoreBOM === true, fatal === true);
}

// DetachArrayBuffer (node_buffer.cc): detaches `buffer` and returns a new
// ArrayBuffer that owns its memory; undefined when it cannot be detached.
function detachArrayBuffer(buffer) {
  if (ArrayBufferPrototypeTransfer === undefined) return undefined;
  try {
    return ArrayBufferPrototypeTransfer(buffer);
  } catch {
    return undefined;
  }
}

// CopyArrayBuffer (node_buffer.cc): copies bytesToCopy bytes between two
// ArrayBuffers; the caller has checked the ranges.
function copyArrayBuffer(destination, destinationOffset, source, sourceOffset,
                         bytesToCopy) {
  TypedArrayPrototypeSet(
    new Uint8Array(destination, destinationOffset, bytesToCopy),
    new Uint8Array(source, sourceOffset, bytesToCopy));
}

module.exports = {
  encodings,
  copyArrayBuffer,
  detachArrayBuffer,
  kMaxLength,
  kStringMaxLength,

  setBufferPrototype,
  getZeroFillToggle,
  createFromString,

  byteLengthUtf8,
  compare,
  compareOffset,
  copy,
  fill,
  indexOfBuffer,
  indexOfNumber,
  indexOfString,
  swap16,
  swap32,
  swap64,
  isUtf8,
  isAscii,

  encodeInto,
  encodeUtf8String,
  decodeUTF8,

  asciiSlice: makeSlice('asciiSlice', ASCII),
  base64Slice: makeSlice('base64Slice', BASE64),
  base64urlSlice: makeSlice('base64urlSlice', BASE64URL),
  latin1Slice: makeSlice('latin1Slice', LATIN1),
  hexSlice: makeSlice('hexSlice', HEX),
  ucs2Slice: makeSlice('ucs2Slice', UCS2),
  utf8Slice: makeSlice('utf8Slice', UTF8),

  asciiWrite: makeWrite('asciiWrite', ASCII),
  base64Write: makeWrite('base64Write', BASE64),
  base64urlWrite: makeWrite('base64urlWrite', BASE64URL),
  latin1Write: makeWrite('latin1Write', LATIN1),
  hexWrite: makeWrite('hexWrite', HEX),
  ucs2Write: makeWrite('ucs2Write', UCS2),
  utf8Write: makeWrite('utf8Write', UTF8),
};
