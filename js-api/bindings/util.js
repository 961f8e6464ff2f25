'use strict';
// The object that Node.js's lib/ receives from internalBinding('util'): V8
// introspection helpers used by util.inspect, assert and the module loader,
// built on weir's op_util_* and op_types_* ops.

const {
  ArrayBufferIsView,
  ArrayIsArray,
  Error,
  ErrorCaptureStackTrace,
  Int32Array,
  ObjectDefineProperty,
  ObjectGetOwnPropertyDescriptor,
  ObjectIsExtensible,
  ObjectPrototypeHasOwnProperty,
  RegExpPrototypeExec,
  SafeWeakRef,
  StringFromCharCode,
  StringPrototypeCharCodeAt,
  StringPrototypeSlice,
  Symbol,
  TypedArrayPrototypeGetSymbolToStringTag,
  Uint32Array,
  Uint8Array,
} = primordials;

const { wait: AtomicsWait } = Atomics;
const { SharedArrayBuffer } = globalThis;

const ops = internalBinding('ops');
const types = internalBinding('types');

// Node.js keeps these as V8 private symbols (invisible to JS reflection);
// here they are ordinary symbols known only to the built-ins.
const privateSymbols = {
  arrow_message_private_symbol: Symbol('node:arrowMessage'),
  contextify_context_private_symbol: Symbol('node:contextify:context'),
  decorated_private_symbol: Symbol('node:decorated'),
  host_defined_option_symbol: Symbol('node:host_defined_option_symbol'),
  napi_type_tag: Symbol('node:napi:type_tag'),
  napi_wrapper: Symbol('node:napi:wrapper'),
  untransferable_object_private_symbol: Symbol('node:untransferableObject'),
  exiting_aliased_Uint32Array: Symbol('node:exiting_aliased_Uint32Array'),
  require_private_symbol: Symbol('node:require_private_symbol'),
};

const constants = {
  // v8::Promise::PromiseState
  kPending: 0,
  kFulfilled: 1,
  kRejected: 2,
  // v8::PropertyFilter
  ALL_PROPERTIES: 0,
  ONLY_WRITABLE: 1,
  ONLY_ENUMERABLE: 2,
  ONLY_CONFIGURABLE: 4,
  SKIP_STRINGS: 8,
  SKIP_SYMBOLS: 16,
};

// [state] for a pending promise, [state, result] otherwise; undefined when
// `promise` is not a promise.
function getPromiseDetails(promise) {
  if (!ops.op_types_is_promise(promise)) return;
  const details = ops.op_util_promise_details(promise);
  if (details[0] === constants.kPending) return [details[0]];
  return [details[0], details[1]];
}

// [target, handler] (or only the target when `showProxy` is false); undefined
// when `value` is not a proxy.
function getProxyDetails(value, showProxy) {
  if (!ops.op_types_is_proxy(value)) return;
  return ops.op_util_proxy_details(value,
                                   arguments.length < 2 || showProxy === true);
}

// The entries of a Map, Set, WeakMap, WeakSet or of their iterators. With
// `isIterator` === true: [entries, isKeyValue].
function previewEntries(value, isIterator) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return;
  return ops.op_util_preview_entries(value, isIterator === true);
}

function getOwnNonIndexProperties(object, filter) {
  return ops.op_util_own_non_index_properties(object, filter);
}

function getConstructorName(object) {
  return ops.op_util_constructor_name(object);
}

// V8 externals only exist for embedder data; weir never hands one to
// JavaScript, and their address is not available to it.
function getExternalValue(value) {
  const { ERR_NOT_IMPLEMENTED } = require('internal/errors').codes;
  throw new ERR_NOT_IMPLEMENTED('getExternalValue');
}

function isArrayBufferDetached(value) {
  if (!ops.op_types_is_array_buffer(value)) return false;
  if (value.byteLength !== 0) return false;
  // A view over a detached buffer cannot be created.
  try {
    new Uint8Array(value);
    return false;
  } catch {
    return true;
  }
}

let sleepBuffer;
function sleep(msec) {
  sleepBuffer ??= new Int32Array(new SharedArrayBuffer(4));
  AtomicsWait(sleepBuffer, 0, 0, msec);
}

function arrayBufferViewHasBuffer(view) {
  return true;
}

// Like the C++ helper: replaces lone surrogates from `start` on by U+FFFD.
function toUSVString(str, start) {
  let result = StringPrototypeSlice(str, 0, start);
  const length = str.length;
  for (let i = start; i < length; i++) {
    const c = StringPrototypeCharCodeAt(str, i);
    if ((c & 0xF800) !== 0xD800) {
      result += StringFromCharCode(c);
    } else if ((c & 0x400) !== 0 || i === length - 1) {
      result += '\uFFFD';
    } else {
      const d = StringPrototypeCharCodeAt(str, i + 1);
      if ((d & 0xFC00) === 0xDC00) {
        result += StringFromCharCode(c, d);
        i++;
      } else {
        result += '\uFFFD';
      }
    }
  }
  return result;
}

// Takes the current stack as V8 CallSite objects, without going through
// the formatting of error.stack.
function getStructuredStack(constructorOpt) {
  const holder = {};
  const prepareDesc = ObjectGetOwnPropertyDescriptor(Error, 'prepareStackTrace');
  const limitDesc = ObjectGetOwnPropertyDescriptor(Error, 'stackTraceLimit');
  const canSetLimit = limitDesc === undefined ?
    ObjectIsExtensible(Error) :
    (ObjectPrototypeHasOwnProperty(limitDesc, 'writable') ?
      limitDesc.writable : limitDesc.set !== undefined);
  let stack;
  let limit;
  try {
    ObjectDefineProperty(Error, 'prepareStackTrace', {
      __proto__: null,
      value: (error, trace) => trace,
      writable: true,
      enumerable: false,
      configurable: true,
    });
    if (canSetLimit) {
      limit = Error.stackTraceLimit;
      Error.stackTraceLimit = Infinity;
    }
    ErrorCaptureStackTrace(holder, constructorOpt);
    stack = holder.stack;
  } finally {
    if (prepareDesc === undefined) {
      delete Error.prepareStackTrace;
    } else {
      ObjectDefineProperty(Error, 'prepareStackTrace', prepareDesc);
    }
    if (canSetLimit) {
      if (limitDesc === undefined) {
        delete Error.stackTraceLimit;
      } else {
        Error.stackTraceLimit = limit;
      }
    }
  }
  return ArrayIsArray(stack) ? stack : [];
}

const kNodeModulesRE = /^(.*)[\\/]node_modules[\\/]/;

// Whether the first stack frame that does not belong to a built-in is in a
// file inside a node_modules directory.
function isInsideNodeModules() {
  const stack = getStructuredStack(isInsideNodeModules);
  for (let i = 0; i < stack.length; i++) {
    const filename = stack[i].getFileName();
    // If a filename does not start with / or contain \,
    // it's likely from a built-in.
    if (typeof filename !== 'string' ||
        RegExpPrototypeExec(/^\/|\\/, filename) === null)
      continue;
    return RegExpPrototypeExec(kNodeModulesRE, filename) !== null;
  }
  return false;
}

// [line, column, fileName] of the caller of the function that calls this.
function getCallerLocation() {
  const stack = getStructuredStack(getCallerLocation);
  if (stack.length < 2) return;
  const frame = stack[1];
  return [frame.getLineNumber(), frame.getColumnNumber(),
          frame.getScriptNameOrSourceURL()];
}

// Holds `target` weakly while its reference count is 0, strongly otherwise.
class WeakReference {
  #weak;
  #strong = null;
  #refCount = 0;

  constructor(object) {
    this.#weak = new SafeWeakRef(object);
  }

  get() {
    return this.#weak.deref();
  }

  incRef() {
    this.#refCount++;
    const target = this.#weak.deref();
    if (target === undefined) return;
    if (this.#refCount === 1) this.#strong = target;
    return this.#refCount;
  }

  decRef() {
    this.#refCount--;
    const target = this.#weak.deref();
    if (target === undefined) return;
    if (this.#refCount === 0) this.#strong = null;
    return this.#refCount;
  }
}

// Knowing what kind of handle a file descriptor is needs libuv's
// uv_guess_handle(), which weir does not expose.
function guessHandleType(fd) {
  const { ERR_NOT_IMPLEMENTED } = require('internal/errors').codes;
  throw new ERR_NOT_IMPLEMENTED('guessHandleType');
}

module.exports = {
  privateSymbols,
  constants,
  getPromiseDetails,
  getProxyDetails,
  getCallerLocation,
  isArrayBufferDetached,
  previewEntries,
  getOwnNonIndexProperties,
  getConstructorName,
  getExternalValue,
  sleep,
  arrayBufferViewHasBuffer,
  shouldAbortOnUncaughtToggle: new Uint32Array(1),
  WeakReference,
  guessHandleType,
  toUSVString,
  isInsideNodeModules,
  isArrayBuffer: types.isArrayBuffer,
  isArrayBufferView: ArrayBufferIsView,
  isAsyncFunction: types.isAsyncFunction,
  isDataView: types.isDataView,
  isDate: types.isDate,
  isExternal: types.isExternal,
  isMap: types.isMap,
  isMapIterator: types.isMapIterator,
  isNativeError: types.isNativeError,
  isPromise: types.isPromise,
  isRegExp: types.isRegExp,
  isSet: types.isSet,
  isSetIterator: types.isSetIterator,
  isTypedArray(value) {
    return TypedArrayPrototypeGetSymbolToStringTag(value) !== undefined;
  },
  isUint8Array(value) {
    return TypedArrayPrototypeGetSymbolToStringTag(value) === 'Uint8Array';
  },
  isAnyArrayBuffer: types.isAnyArrayBuffer,
};
