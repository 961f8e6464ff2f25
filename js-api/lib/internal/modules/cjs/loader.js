'use strict';

// CommonJS: `require`, `module.exports`, `exports`, `__filename`, `__dirname`,
// `require.resolve`, `require.cache`, JSON files, and Node's `Module` API. Resolution
// is Node's algorithm, done natively and shared with ES imports (src/js/resolve.rs).
// `require()` of an ES module works when its graph has no top-level await (as in
// Node 20.19+); otherwise it throws ERR_REQUIRE_ASYNC_MODULE and `import()` is the way.

const {
  ArrayPrototypeJoin,
  ArrayPrototypePush,
  JSONParse,
  ObjectCreate,
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectKeys,
  ReflectApply,
  SafeMap,
  StringPrototypeCharCodeAt,
  StringPrototypeEndsWith,
  StringPrototypeIndexOf,
  StringPrototypeLastIndexOf,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
} = primordials;

const path = require('path');
const binding = internalBinding('modules');
const {
  ERR_INVALID_ARG_VALUE,
} = require('internal/errors').codes;
const { validateString } = require('internal/validators');

const builtinIds = internalBinding('ops').op_builtin_ids();

function loadBuiltin(id) {
  return require(id);
}

function isBuiltin(id) {
  if (StringPrototypeStartsWith(id, 'node:')) id = StringPrototypeSlice(id, 5);
  return builtinIds.includes(id);
}

class Module {
  constructor(id = '', parent) {
    this.id = id;
    this.path = path.dirname(id);
    this.exports = {};
    this.filename = null;
    this.loaded = false;
    this.children = [];
    this.paths = [];
    ObjectDefineProperty(this, 'parent', {
      __proto__: null, value: parent, writable: true, enumerable: false, configurable: true,
    });
    if (parent) ArrayPrototypePush(parent.children, this);
  }

  require(id) {
    validateString(id, 'id');
    if (id === '') {
      throw new ERR_INVALID_ARG_VALUE('id', id, 'must be a non-empty string');
    }
    return Module._load(id, this, false);
  }

  load(filename) {
    this.filename = filename;
    this.paths = Module._nodeModulePaths(path.dirname(filename));
    const ext = extensionOf(filename);
    Module._extensions[ext](this, filename);
    this.loaded = true;
  }

  _compile(content, filename) {
    const fn = binding.compileFunction(content, filename);
    const dirname = path.dirname(filename);
    const require = makeRequireFunction(this);
    return ReflectApply(fn, this.exports, [this.exports, require, this, filename, dirname]);
  }
}

function extensionOf(filename) {
  const base = path.basename(filename);
  let i = StringPrototypeIndexOf(base, '.', 1);
  while (i !== -1) {
    const ext = StringPrototypeSlice(base, i);
    if (Module._extensions[ext]) return ext;
    i = StringPrototypeIndexOf(base, '.', i + 1);
  }
  return '.js';
}

function stripBOM(content) {
  return StringPrototypeCharCodeAt(content, 0) === 0xFEFF ? StringPrototypeSlice(content, 1) : content;
}

Module._cache = ObjectCreate(null);
Module._pathCache = ObjectCreate(null);
Module._extensions = ObjectCreate(null);
Module.builtinModules = ObjectFreeze([...builtinIds]);
Module.isBuiltin = isBuiltin;
Module.wrapper = ObjectFreeze([
  '(function (exports, require, module, __filename, __dirname) { ',
  '\n});',
]);
Module.wrap = (script) => `${Module.wrapper[0]}${script}${Module.wrapper[1]}`;
Module.globalPaths = [];

// `require()` of an ES module (Node 20.19+): the graph is evaluated synchronously and
// the result is its namespace, or its `module.exports` export when it has one.
function loadESMFromCJS(module, filename) {
  const namespace = binding.requireEsm(filename);
  module.exports = 'module.exports' in namespace ? namespace['module.exports'] : namespace;
}

Module._extensions['.js'] = function(module, filename) {
  if (!StringPrototypeEndsWith(filename, '.cjs') && binding.format(filename) === 'esm') {
    return loadESMFromCJS(module, filename);
  }
  module._compile(binding.readSource(filename), filename);
};

Module._extensions['.json'] = function(module, filename) {
  const content = binding.readSource(filename);
  try {
    module.exports = JSONParse(stripBOM(content));
  } catch (err) {
    err.message = `${filename}: ${err.message}`;
    throw err;
  }
};

Module._extensions['.node'] = function(module, filename) {
  const { ERR_DLOPEN_FAILED } = require('internal/errors').codes;
  throw new ERR_DLOPEN_FAILED(`${filename}: weir does not load native addons`);
};

Module._nodeModulePaths = function(from) {
  from = path.resolve(from);
  if (from === '/') return ['/node_modules'];
  const paths = [];
  let dir = from;
  for (;;) {
    if (path.basename(dir) !== 'node_modules') ArrayPrototypePush(paths, path.join(dir, 'node_modules'));
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return paths;
};

function requireStack(parent) {
  const stack = [];
  for (let cursor = parent; cursor; cursor = cursor.parent) {
    ArrayPrototypePush(stack, cursor.filename || cursor.id);
  }
  return stack;
}

Module._resolveFilename = function(request, parent, isMain, options) {
  const from = options?.paths?.[0] !== undefined ?
    path.join(path.resolve(options.paths[0]), '[paths]') :
    (parent?.filename ?? path.join(process.cwd(), '[eval]'));
  try {
    const resolved = binding.resolve(request, from, true);
    if (StringPrototypeStartsWith(resolved, 'node:') && !StringPrototypeStartsWith(request, 'node:')) {
      return StringPrototypeSlice(resolved, 5);
    }
    return resolved;
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && parent) {
      const stack = requireStack(parent);
      if (stack.length > 0) {
        err.message += `\nRequire stack:\n- ${ArrayPrototypeJoin(stack, '\n- ')}`;
      }
      err.requireStack = stack;
    }
    throw err;
  }
};

Module._load = function(request, parent, isMain) {
  const filename = Module._resolveFilename(request, parent, isMain);
  if (isBuiltin(filename) && !StringPrototypeStartsWith(filename, '/')) {
    return loadBuiltin(StringPrototypeStartsWith(filename, 'node:') ? StringPrototypeSlice(filename, 5) : filename);
  }
  const cached = Module._cache[filename];
  if (cached !== undefined) {
    return cached.exports;
  }
  const module = new Module(filename, parent);
  if (isMain) {
    process.mainModule = module;
    module.id = '.';
  }
  Module._cache[filename] = module;
  let threw = true;
  try {
    module.load(filename);
    threw = false;
  } finally {
    if (threw) {
      delete Module._cache[filename];
      if (parent !== undefined && parent !== null) {
        const i = parent.children.indexOf(module);
        if (i !== -1) parent.children.splice(i, 1);
      }
    }
  }
  return module.exports;
};

function makeRequireFunction(mod) {
  const require = function require(id) {
    return mod.require(id);
  };
  function resolve(request, options) {
    validateString(request, 'request');
    return Module._resolveFilename(request, mod, false, options);
  }
  resolve.paths = function paths(request) {
    validateString(request, 'request');
    if (isBuiltin(request)) return null;
    return Module._nodeModulePaths(mod.path || process.cwd());
  };
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

Module.createRequire = function createRequire(filename) {
  let filepath = filename;
  if (typeof filename === 'object' && filename !== null && typeof filename.href === 'string') {
    filepath = require('internal/url').fileURLToPath(filename);
  } else if (typeof filename === 'string' && StringPrototypeStartsWith(filename, 'file:')) {
    filepath = require('internal/url').fileURLToPath(filename);
  } else if (typeof filename !== 'string' || !path.isAbsolute(filename)) {
    throw new ERR_INVALID_ARG_VALUE('filename', filename, 'must be a file URL object, file URL string, or absolute path string');
  }
  const trailingSlash = StringPrototypeEndsWith(filepath, '/');
  const proxyPath = trailingSlash ? path.join(filepath, 'noop.js') : filepath;
  const m = new Module(proxyPath);
  m.filename = proxyPath;
  m.paths = Module._nodeModulePaths(m.path);
  return makeRequireFunction(m);
};

Module.runMain = function runMain(main = process.argv[1]) {
  return Module._load(path.resolve(main), null, true);
};

Module.syncBuiltinESMExports = function syncBuiltinESMExports() {};

Module.Module = Module;

// `weir eval` in CommonJS mode: like `node -e`, a script whose globals include
// `require`, `module`, `exports`, `__filename` and `__dirname` for a module named
// [eval] in the working directory.
function evalScript(code) {
  const cwd = process.cwd();
  const module = new Module('[eval]');
  module.filename = path.join(cwd, '[eval]');
  module.paths = Module._nodeModulePaths(cwd);
  const g = globalThis;
  g.module = module;
  g.exports = module.exports;
  g.__filename = '[eval]';
  g.__dirname = '.';
  g.require = makeRequireFunction(module);
  return binding.runScript(code, '[eval]');
}

module.exports = { Module, evalScript, makeRequireFunction, isBuiltin };
