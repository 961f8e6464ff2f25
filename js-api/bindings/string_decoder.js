'use strict';

// internalBinding('string_decoder'): the state machine of Node.js's C++
// StringDecoder (src/string_decoder.cc, MIT, see js-api/LICENSE.node), written
// in JavaScript. The decoder state lives in a 7-byte Uint8Array owned by the
// JS StringDecoder object, laid out exactly as in Node.js:
//   [0, 4)  bytes of an incomplete character (kIncompleteCharactersStart/End)
//   4       number of bytes still missing    (kMissingBytes)
//   5       number of bytes buffered         (kBufferedBytes)
//   6       encoding, as an index into `encodings` (kEncodingField)
// Bytes are turned into strings by op_buffer_slice.

const {
  TypedArrayPrototypeGetBuffer,
  TypedArrayPrototypeGetByteOffset,
  TypedArrayPrototypeGetByteLength,
  TypedArrayPrototypeGetSymbolToStringTag,
  DataViewPrototypeGetBuffer,
  DataViewPrototypeGetByteOffset,
  DataViewPrototypeGetByteLength,
  Uint8Array,
} = primordials;

const { op_buffer_slice } = internalBinding('ops');

const kIncompleteCharactersStart = 0;
const kIncompleteCharactersEnd = 4;
const kMissingBytes = 4;
const kBufferedBytes = 5;
const kEncodingField = 6;
const kNumFields = 7;
const kSize = kNumFields;

// Node.js's `enum encoding`, in order.
const ASCII = 0;
const UTF8 = 1;
const BASE64 = 2;
const UCS2 = 3;
const LATIN1 = 4;
const HEX = 5;
const BUFFER = 6;
const BASE64URL = 7;

const encodings = [];
encodings[ASCII] = 'ascii';
encodings[UTF8] = 'utf8';
encodings[BASE64] = 'base64';
encodings[BASE64URL] = 'base64url';
encodings[UCS2] = 'utf16le';
encodings[HEX] = 'hex';
encodings[BUFFER] = 'buffer';
encodings[LATIN1] = 'latin1';

// Node.js encoding -> encoding id of op_buffer_slice.
const opEncodings = [];
opEncodings[ASCII] = 3;
opEncodings[UTF8] = 0;
opEncodings[BASE64] = 4;
opEncodings[UCS2] = 1;
opEncodings[LATIN1] = 2;
opEncodings[HEX] = 6;
opEncodings[BUFFER] = 2;
opEncodings[BASE64URL] = 5;

function makeString(data, start, end, encoding) {
  return op_buffer_slice(data, opEncodings[encoding], start, end);
}

function toUint8Array(view) {
  if (TypedArrayPrototypeGetSymbolToStringTag(view) !== undefined) {
    return new Uint8Array(TypedArrayPrototypeGetBuffer(view),
                          TypedArrayPrototypeGetByteOffset(view),
                          TypedArrayPrototypeGetByteLength(view));
  }
  return new Uint8Array(DataViewPrototypeGetBuffer(view),
                        DataViewPrototypeGetByteOffset(view),
                        DataViewPrototypeGetByteLength(view));
}

/**
 * @param {Uint8Array} state
 * @param {ArrayBufferView} view
 * @returns {string}
 */
function decode(state, view) {
  const data = toUint8Array(view);
  const encoding = state[kEncodingField];
  let start = 0;
  let nread = data.length;

  if (encoding !== UTF8 && encoding !== UCS2 &&
      encoding !== BASE64 && encoding !== BASE64URL) {
    return makeString(data, 0, nread, encoding);
  }

  let prepend;
  let body;

  // See if we want bytes to finish a character from the previous
  // chunk; if so, copy the new bytes to the missing bytes buffer
  // and create a small string from it that is to be prepended to the
  // main body.
  if (state[kMissingBytes] > 0) {
    if (encoding === UTF8) {
      // For UTF-8, we need special treatment to align with the V8 decoder:
      // If an incomplete character is found at a chunk boundary, we use
      // its remainder and pass it to V8 as-is.
      for (let i = 0; i < nread && i < state[kMissingBytes]; ++i) {
        if ((data[i] & 0xC0) !== 0x80) {
          // This byte is not a continuation byte even though it should have
          // been one. We stop decoding of the incomplete character at this
          // point (but still use the rest of the incomplete bytes from this
          // chunk) and assume that the new, unexpected byte starts a new one.
          state[kMissingBytes] = 0;
          for (let j = 0; j < i; j++)
            state[state[kBufferedBytes] + j] = data[j];
          state[kBufferedBytes] += i;
          start += i;
          nread -= i;
          break;
        }
      }
    }

    const foundBytes = nread < state[kMissingBytes] ?
      nread : state[kMissingBytes];
    for (let j = 0; j < foundBytes; j++)
      state[state[kBufferedBytes] + j] = data[start + j];
    // Adjust the two buffers.
    start += foundBytes;
    nread -= foundBytes;

    state[kMissingBytes] -= foundBytes;
    state[kBufferedBytes] += foundBytes;

    if (state[kMissingBytes] === 0) {
      // If no more bytes are missing, create a small string that we
      // will later prepend.
      prepend = makeString(state, kIncompleteCharactersStart,
                           state[kBufferedBytes], encoding);
      // No more buffered bytes.
      state[kBufferedBytes] = 0;
    }
  }

  // It could be that trying to finish the previous chunk already
  // consumed all data that we received in this chunk.
  if (nread === 0) {
    return prepend !== undefined ? prepend : '';
  }

  // If not, that means is no character left to finish at this point.
  const end = start + nread;

  // See whether there is a character that we may have to cut off and
  // finish when receiving the next chunk.
  if (encoding === UTF8 && (data[end - 1] & 0x80)) {
    // This is UTF-8 encoded data and we ended on a non-ASCII UTF-8 byte.
    // This means we'll need to figure out where the character to which
    // the byte belongs begins.
    for (let i = end - 1; ; --i) {
      state[kBufferedBytes]++;
      if ((data[i] & 0xC0) === 0x80) {
        // This byte does not start a character (a "trailing" byte).
        if (state[kBufferedBytes] >= 4 || i === start) {
          // We either have more then 4 trailing bytes (which means
          // the current character would not be inside the range for
          // valid Unicode, and in particular cannot be represented
          // through JavaScript's UTF-16-based approach to strings), or the
          // current buffer does not contain the start of an UTF-8 character
          // at all. Either way, this is invalid UTF8 and we can just
          // let the engine's decoder handle it.
          state[kBufferedBytes] = 0;
          break;
        }
      } else {
        // Found the first byte of a UTF-8 character. By looking at the
        // upper bits we can tell how long the character *should* be.
        if ((data[i] & 0xE0) === 0xC0) {
          state[kMissingBytes] = 2;
        } else if ((data[i] & 0xF0) === 0xE0) {
          state[kMissingBytes] = 3;
        } else if ((data[i] & 0xF8) === 0xF0) {
          state[kMissingBytes] = 4;
        } else {
          // This lead byte would indicate a character outside of the
          // representable range.
          state[kBufferedBytes] = 0;
          break;
        }

        if (state[kBufferedBytes] >= state[kMissingBytes]) {
          // Received more or exactly as many trailing bytes than the lead
          // character would indicate. In the "==" case, we have valid
          // data and don't need to slice anything off;
          // in the ">" case, this is invalid UTF-8 anyway.
          state[kMissingBytes] = 0;
          state[kBufferedBytes] = 0;
        }

        state[kMissingBytes] -= state[kBufferedBytes];
        break;
      }
    }
  } else if (encoding === UCS2) {
    if ((nread % 2) === 1) {
      // We got half a codepoint, and need the second byte of it.
      state[kBufferedBytes] = 1;
      state[kMissingBytes] = 1;
    } else if ((data[end - 1] & 0xFC) === 0xD8) {
      // Half a split UTF-16 character.
      state[kBufferedBytes] = 2;
      state[kMissingBytes] = 2;
    }
  } else if (encoding === BASE64 || encoding === BASE64URL) {
    state[kBufferedBytes] = nread % 3;
    if (state[kBufferedBytes] > 0)
      state[kMissingBytes] = 3 - state[kBufferedBytes];
  }

  let bodyEnd = end;
  if (state[kBufferedBytes] > 0) {
    // Copy the requested number of buffered bytes from the end of the
    // input into the incomplete character buffer.
    bodyEnd -= state[kBufferedBytes];
    for (let j = 0; j < state[kBufferedBytes]; j++)
      state[kIncompleteCharactersStart + j] = data[bodyEnd + j];
  }

  if (bodyEnd > start) {
    body = makeString(data, start, bodyEnd, encoding);
  } else {
    body = '';
  }

  return prepend !== undefined ? prepend + body : body;
}

/**
 * @param {Uint8Array} state
 * @returns {string}
 */
function flush(state) {
  const encoding = state[kEncodingField];

  if (encoding === UCS2 && state[kBufferedBytes] % 2 === 1) {
    // Ignore a single trailing byte, like the JS decoder does.
    state[kMissingBytes]--;
    state[kBufferedBytes]--;
  }

  if (state[kBufferedBytes] === 0)
    return '';

  const ret = makeString(state, kIncompleteCharactersStart,
                         state[kBufferedBytes], encoding);

  state[kMissingBytes] = 0;
  state[kBufferedBytes] = 0;

  return ret;
}

module.exports = {
  kIncompleteCharactersStart,
  kIncompleteCharactersEnd,
  kMissingBytes,
  kBufferedBytes,
  kEncodingField,
  kNumFields,
  kSize,
  encodings,
  decode,
  flush,
};
