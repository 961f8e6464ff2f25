'use strict';

// The properties of the global `process` object (Node's process API), built on
// internalBinding('process').

const {
  ArrayIsArray,
  BigInt,
  FunctionPrototypeCall,
  NumberIsSafeInteger,
  ObjectDefineProperty,
  ObjectFreeze,
  ReflectOwnKeys,
  String,
  StringPrototypeStartsWith,
} = primordials;

const binding = internalBinding('process');

const NODE_VERSION = '18.20.4';

function setupProcess(process) {
  const versions = binding.versions();
  const execPath = binding.execPath();
  const argv = binding.argv();

  process.title = 'weir';
  process.version = `v${NODE_VERSION}`;
  process.versions = ObjectFreeze({
    node: NODE_VERSION,
    weir: versions.weir,
    v8: versions.v8,
    modules: '108',
  });
  process.release = ObjectFreeze({ name: 'node', lts: 'Hydrogen' });
  process.arch = 'x64';
  process.platform = 'linux';
  process.argv = argv;
  process.argv0 = 'weir';
  process.execArgv = binding.execArgv();
  process.execPath = execPath;
  process.pid = binding.pid();
  process.ppid = binding.ppid();
  process.config = ObjectFreeze({ target_defaults: {}, variables: {} });
  process.features = ObjectFreeze({ inspector: false, debug: false, uv: true, ipv6: true, tls_alpn: true, tls_sni: true, tls_ocsp: true, tls: true, cached_builtins: true });
  process._exiting = false;
  process.env = makeEnv();

  process.cwd = binding.cwd;
  process.chdir = function chdir(directory) {
    const { validateString } = require('internal/validators');
    validateString(directory, 'directory');
    binding.chdir(directory);
  };
  process.umask = function umask(mask) {
    if (mask === undefined) return binding.umask();
    const { parseFileMode } = require('internal/validators');
    return binding.umask(parseFileMode(mask, 'mask'));
  };
  process.uptime = binding.uptime;

  process.hrtime = function hrtime(time) {
    const [sec, nsec] = binding.hrtime();
    if (time !== undefined) {
      const { validateArray } = require('internal/validators');
      validateArray(time, 'time');
      if (time.length !== 2) {
        const { ERR_OUT_OF_RANGE } = require('internal/errors').codes;
        throw new ERR_OUT_OF_RANGE('time', 2, time.length);
      }
      const s = sec - time[0];
      const ns = nsec - time[1];
      return ns < 0 ? [s - 1, ns + 1e9] : [s, ns];
    }
    return [sec, nsec];
  };
  process.hrtime.bigint = binding.hrtimeBigInt;

  process.memoryUsage = function memoryUsage() {
    const [rss, heapTotal, heapUsed, external, arrayBuffers] = binding.memoryUsage();
    return { rss, heapTotal, heapUsed, external, arrayBuffers };
  };
  process.memoryUsage.rss = binding.rss;

  process.cpuUsage = function cpuUsage(prev) {
    const [user, system] = binding.cpuUsage();
    if (prev) return { user: user - prev.user, system: system - prev.system };
    return { user, system };
  };

  process.exit = function exit(code) {
    if (code !== undefined) process.exitCode = code;
    if (!process._exiting) {
      process._exiting = true;
      process.emit('exit', process.exitCode || 0);
    }
    process.reallyExit(process.exitCode || 0);
  };
  process.reallyExit = function reallyExit(code) {
    binding.reallyExit(code | 0);
  };
  process.abort = function abort() {
    binding.reallyExit(134);
  };
  process.kill = function kill(pid, sig = 'SIGTERM') {
    const { signals } = internalBinding('constants').os;
    if (pid != (pid | 0)) {
      const { ERR_INVALID_ARG_TYPE } = require('internal/errors').codes;
      throw new ERR_INVALID_ARG_TYPE('pid', 'number', pid);
    }
    const num = typeof sig === 'number' ? sig : signals[sig];
    if (num === undefined) {
      const { ERR_UNKNOWN_SIGNAL } = require('internal/errors').codes;
      throw new ERR_UNKNOWN_SIGNAL(sig);
    }
    binding.kill(pid, num);
    return true;
  };

  process.setUncaughtExceptionCaptureCallback = function setUncaughtExceptionCaptureCallback(fn) {
    require('internal/process/execution').setUncaughtExceptionCaptureCallback(fn);
  };
  process.hasUncaughtExceptionCaptureCallback = function hasUncaughtExceptionCaptureCallback() {
    return require('internal/process/execution').hasUncaughtExceptionCaptureCallback();
  };

  process.emitWarning = function emitWarning(...args) {
    return FunctionPrototypeCall(require('internal/process/warning').emitWarning, this, ...args);
  };

  process.binding = function binding(name) {
    const { ERR_METHOD_NOT_IMPLEMENTED } = require('internal/errors').codes;
    throw new ERR_METHOD_NOT_IMPLEMENTED(`process.binding('${name}')`);
  };
  process.dlopen = function dlopen() {
    const { ERR_DLOPEN_FAILED } = require('internal/errors').codes;
    throw new ERR_DLOPEN_FAILED('weir does not load native addons');
  };

  let stdout;
  let stderr;
  ObjectDefineProperty(process, 'stdout', {
    __proto__: null, configurable: true, enumerable: true,
    get() { return stdout ??= require('internal/process/stdio').createWriter(1); },
  });
  ObjectDefineProperty(process, 'stderr', {
    __proto__: null, configurable: true, enumerable: true,
    get() { return stderr ??= require('internal/process/stdio').createWriter(2); },
  });
  ObjectDefineProperty(process, 'stdin', {
    __proto__: null, configurable: true, enumerable: true,
    get() { return require('internal/process/stdio').stdin(); },
  });

  let exitCode;
  ObjectDefineProperty(process, 'exitCode', {
    __proto__: null, configurable: false, enumerable: true,
    get() { return exitCode; },
    set(code) {
      if (code !== null && code !== undefined) {
        let value = code;
        if (typeof code === 'string' && code !== '' && NumberIsSafeInteger(+code)) value = +code;
        const { validateInteger } = require('internal/validators');
        validateInteger(value, 'code');
      }
      exitCode = code;
    },
  });
}

// process.env: a live view of the environment; values are always strings.
function makeEnv() {
  const target = {};
  return new Proxy(target, {
    __proto__: null,
    get(t, key) {
      if (typeof key !== 'string') return undefined;
      return binding.envGet(key);
    },
    set(t, key, value) {
      if (typeof key === 'symbol') {
        const { ERR_INVALID_ARG_TYPE } = require('internal/errors').codes;
        throw new ERR_INVALID_ARG_TYPE('key', 'string', key);
      }
      binding.envSet(key, String(value));
      return true;
    },
    has(t, key) {
      return typeof key === 'string' && binding.envGet(key) !== undefined;
    },
    deleteProperty(t, key) {
      if (typeof key === 'string') binding.envDelete(key);
      return true;
    },
    ownKeys() {
      return binding.envKeys();
    },
    getOwnPropertyDescriptor(t, key) {
      if (typeof key !== 'string') return undefined;
      const value = binding.envGet(key);
      if (value === undefined) return undefined;
      return { value, writable: true, enumerable: true, configurable: true };
    },
    defineProperty(t, key, desc) {
      binding.envSet(key, String(desc.value));
      return true;
    },
  });
}

module.exports = { setupProcess };
