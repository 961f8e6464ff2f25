'use strict';

// internalBinding('messaging'): DOMException and structuredClone().
// weir has no worker threads, so MessagePort, MessageChannel and
// BroadcastChannel of Node.js are not part of it. structuredClone() uses V8's
// serializer through op_messaging_structured_clone.

const {
  ArrayPrototypeIncludes,
  ArrayPrototypePush,
  Error,
  SafeArrayIterator,
  SymbolIterator,
  TypeError,
} = primordials;

const {
  op_messaging_structured_clone,
  op_types_is_array_buffer: isArrayBuffer,
} = internalBinding('ops');

const { DOMException } = require('internal/domexception');

// ArrayBuffer.prototype.transfer, where the JavaScript engine has it.
const { ArrayBufferPrototypeTransfer } = primordials;

let ERR_MISSING_ARGS;

// An error shaped like the ones Node.js's C++ throws: a plain TypeError with
// a `code` property.
function nativeTypeError(code, message) {
  const err = new TypeError(message);
  err.code = code;
  return err;
}

function readTransferList(transfer) {
  const list = [];
  if (transfer == null)
    return list;
  if (typeof transfer !== 'object' && typeof transfer !== 'function') {
    throw nativeTypeError('ERR_INVALID_ARG_TYPE',
                          'Optional transferList argument must be an iterable');
  }
  if (typeof transfer[SymbolIterator] !== 'function')
    return list;
  for (const item of transfer) {
    if (!isArrayBuffer(item)) {
      // Only ArrayBuffers can be transferred: there are no MessagePorts.
      throw nativeTypeError('ERR_INVALID_TRANSFER_OBJECT',
                            'Found invalid object in transferList');
    }
    if (ArrayPrototypeIncludes(list, item)) {
      throw new DOMException('Transfer list contains duplicate ArrayBuffer',
                             'DataCloneError');
    }
    ArrayPrototypePush(list, item);
  }
  return list;
}

// Detaches a transferred ArrayBuffer, whose contents now belong to the clone.
function detach(arrayBuffer) {
  if (ArrayBufferPrototypeTransfer !== undefined)
    ArrayBufferPrototypeTransfer(arrayBuffer);
}

function structuredClone(value, options = undefined) {
  if (arguments.length === 0) {
    ERR_MISSING_ARGS ??= require('internal/errors').codes.ERR_MISSING_ARGS;
    throw new ERR_MISSING_ARGS('value');
  }
  const transferList = readTransferList(options?.transfer);
  let clone;
  try {
    clone = op_messaging_structured_clone(value);
  } catch (err) {
    if (err instanceof Error && err.name === 'DataCloneError')
      throw new DOMException(err.message, 'DataCloneError');
    throw err;
  }
  for (const arrayBuffer of new SafeArrayIterator(transferList))
    detach(arrayBuffer);
  return clone;
}

module.exports = {
  DOMException,
  structuredClone,
};
