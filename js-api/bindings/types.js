'use strict';
// The object that Node.js's lib/ receives from internalBinding('types'):
// V8 value type checks, backed by weir's op_types_is_* ops.

const ops = internalBinding('ops');

const kinds = [
  ['External', 'external'],
  ['Date', 'date'],
  ['ArgumentsObject', 'arguments_object'],
  ['BigIntObject', 'big_int_object'],
  ['BooleanObject', 'boolean_object'],
  ['NumberObject', 'number_object'],
  ['StringObject', 'string_object'],
  ['SymbolObject', 'symbol_object'],
  ['NativeError', 'native_error'],
  ['RegExp', 'reg_exp'],
  ['AsyncFunction', 'async_function'],
  ['GeneratorFunction', 'generator_function'],
  ['GeneratorObject', 'generator_object'],
  ['Promise', 'promise'],
  ['Map', 'map'],
  ['Set', 'set'],
  ['MapIterator', 'map_iterator'],
  ['SetIterator', 'set_iterator'],
  ['WeakMap', 'weak_map'],
  ['WeakSet', 'weak_set'],
  ['ArrayBuffer', 'array_buffer'],
  ['DataView', 'data_view'],
  ['SharedArrayBuffer', 'shared_array_buffer'],
  ['Proxy', 'proxy'],
  ['ModuleNamespaceObject', 'module_namespace_object'],
  ['AnyArrayBuffer', 'any_array_buffer'],
  ['BoxedPrimitive', 'boxed_primitive'],
];

// Each check is a plain function named like Node.js's native one
// (`isDate.name === 'isDate'`, `isDate.length === 0`).
for (let i = 0; i < kinds.length; i++) {
  const op = ops[`op_types_is_${kinds[i][1]}`];
  const name = `is${kinds[i][0]}`;
  const fn = { [name]() { return op(arguments[0]); } }[name];
  module.exports[name] = fn;
}
