'use strict';
// The object that Node.js's lib/ receives from internalBinding('errors').
// Only what weir's built-ins use: the stack trace hooks of Node.js (source
// maps, prepareStackTrace callback registration, fatal exception enhancers)
// are not part of it.

const {
  ArrayIsArray,
  ErrorPrototype,
  FunctionPrototypeToString,
  ObjectGetOwnPropertyDescriptor,
  ObjectGetPrototypeOf,
  ObjectPrototype,
  String,
  SymbolPrototypeToString,
  SymbolToStringTag,
} = primordials;

const ops = internalBinding('ops');

// The original methods, to recognize objects that use them.
const { toString: ObjectPrototypeToString } = ObjectPrototype;
const { toString: ErrorPrototypeToString } = ErrorPrototype;

// Reads a data property along the prototype chain; accessors are not run,
// and neither are proxy traps (a proxy ends the lookup).
function getDataProperty(obj, key) {
  while (obj !== null) {
    if (ops.op_types_is_proxy(obj)) return;
    const desc = ObjectGetOwnPropertyDescriptor(obj, key);
    if (desc !== undefined) return desc.value;
    obj = ObjectGetPrototypeOf(obj);
  }
}

function errorToString(error) {
  let name = getDataProperty(error, 'name');
  let message = getDataProperty(error, 'message');
  if (typeof name !== 'string') name = 'Error';
  if (typeof message !== 'string') message = '';
  if (name === '') return message;
  if (message === '') return name;
  return `${name}: ${message}`;
}

function builtinTag(value) {
  if (typeof value === 'function') return 'Function';
  if (ArrayIsArray(value)) return 'Array';
  if (ops.op_types_is_proxy(value)) return 'Object';
  if (ops.op_types_is_arguments_object(value)) return 'Arguments';
  if (ops.op_types_is_date(value)) return 'Date';
  if (ops.op_types_is_reg_exp(value)) return 'RegExp';
  if (ops.op_types_is_native_error(value)) return 'Error';
  if (ops.op_types_is_boolean_object(value)) return 'Boolean';
  if (ops.op_types_is_number_object(value)) return 'Number';
  if (ops.op_types_is_string_object(value)) return 'String';
  return 'Object';
}

// Like V8's Object::NoSideEffectsToString(): a string for any value that runs
// no user code (no getters, no proxy traps, no toString() methods).
function noSideEffectsToString(value) {
  switch (typeof value) {
    case 'string':
      return value;
    case 'symbol':
      return SymbolPrototypeToString(value);
    case 'object':
    case 'function': {
      if (value === null) return 'null';
      if (typeof value === 'function' && !ops.op_types_is_proxy(value)) {
        try {
          return FunctionPrototypeToString(value);
        } catch {
          // Not a function V8 can print; fall through.
        }
      }
      const toString = getDataProperty(value, 'toString');
      if (ops.op_types_is_native_error(value) || toString === ErrorPrototypeToString) {
        return errorToString(value);
      }
      if (toString === ObjectPrototypeToString) {
        const ctor = getDataProperty(value, 'constructor');
        if (typeof ctor === 'function') {
          const name = getDataProperty(ctor, 'name');
          if (typeof name === 'string' && name !== '') return `#<${name}>`;
        }
      }
      const tag = getDataProperty(value, SymbolToStringTag);
      return `[object ${typeof tag === 'string' ? tag : builtinTag(value)}]`;
    }
    default:
      return String(value);
  }
}

// Reports `err` as an uncaught exception (fromPromise: an unhandled
// rejection). The runtime runs the 'uncaughtException' machinery and may end
// the process.
function triggerUncaughtException(err, fromPromise) {
  ops.op_errors_trigger_uncaught(err, !!fromPromise);
}

module.exports = {
  noSideEffectsToString,
  triggerUncaughtException,
  exitCodes: {
    __proto__: null,
    kNoFailure: 0,
    kGenericUserError: 1,
  },
};
