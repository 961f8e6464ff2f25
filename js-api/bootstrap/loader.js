'use strict';

// The built-in module loader: `require` for js-api/lib and `internalBinding` for
// js-api/bindings. Called with (process, ops, primordials); returns the loader.
// Built-ins are compiled on first use and cached for the life of the isolate.

const {
  ArrayPrototypeIncludes,
  SafeMap,
  StringPrototypeStartsWith,
  StringPrototypeSlice,
} = primordials;

const moduleCache = new SafeMap();
const bindingCache = new SafeMap();
const publicIds = ops.op_builtin_ids();

function internalBinding(name) {
  if (name === 'ops') return ops;
  let mod = bindingCache.get(name);
  if (mod !== undefined) return mod.exports;
  mod = { exports: {}, id: name };
  bindingCache.set(name, mod);
  const fn = ops.op_builtin_compile(name, 'bindings');
  fn(mod.exports, requireBuiltin, mod, process, internalBinding, primordials);
  return mod.exports;
}

function requireBuiltin(id) {
  if (StringPrototypeStartsWith(id, 'node:')) id = StringPrototypeSlice(id, 5);
  let mod = moduleCache.get(id);
  if (mod !== undefined) return mod.exports;
  mod = { exports: {}, id, loaded: false };
  moduleCache.set(id, mod);
  let fn;
  try {
    fn = ops.op_builtin_compile(id, 'lib');
    fn(mod.exports, requireBuiltin, mod, process, internalBinding, primordials);
  } catch (err) {
    moduleCache.delete(id);
    throw err;
  }
  mod.loaded = true;
  return mod.exports;
}

function canBeRequiredByUsers(id) {
  return ArrayPrototypeIncludes(publicIds, id);
}

return { requireBuiltin, internalBinding, publicIds, canBeRequiredByUsers };
