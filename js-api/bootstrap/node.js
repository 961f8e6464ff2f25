'use strict';

// Turns a bare context into Node's: the `process` object, the globals, the task
// queue and timers the event loop drives, and the hooks the runtime calls (uncaught
// exceptions, 'beforeExit'/'exit', loading CommonJS and built-ins for ES imports).
// Called with (process, loader, primordials). Globals that are costly to build are
// defined as lazy accessors, so an empty script loads almost nothing.

const {
  FunctionPrototypeCall,
  ObjectCreate,
  ObjectDefineProperty,
  ObjectFreeze,
  ObjectSetPrototypeOf,
  SymbolToStringTag,
} = primordials;

const { requireBuiltin: require, internalBinding } = loader;
const ops = internalBinding('ops');
const globalObject = globalThis;

// --- process -----------------------------------------------------------------

// Plain properties first: built-ins read process.versions and friends as they load.
require('internal/process/setup').setupProcess(process);

const EventEmitter = require('events');
const processProto = ObjectCreate(EventEmitter.prototype);
ObjectDefineProperty(processProto, 'constructor', {
  __proto__: null, value: function process() {}, writable: true, configurable: true, enumerable: false,
});
ObjectSetPrototypeOf(process, processProto);
FunctionPrototypeCall(EventEmitter, process);
ObjectDefineProperty(process, SymbolToStringTag, {
  __proto__: null, enumerable: false, writable: true, configurable: false, value: 'process',
});

// --- task queue and timers ---------------------------------------------------

{
  const { setupTaskQueue, queueMicrotask } = require('internal/process/task_queues');
  const { nextTick, runNextTicks } = setupTaskQueue();
  process.nextTick = nextTick;
  process._tickCallback = runNextTicks;

  const { getTimerCallbacks } = require('internal/timers');
  const { setupTimers } = internalBinding('timers');
  const { processImmediate, processTimers } = getTimerCallbacks(runNextTicks);
  setupTimers(processImmediate, processTimers);

  const timers = require('timers');
  defineOperation(globalObject, 'queueMicrotask', queueMicrotask);
  defineOperation(globalObject, 'clearInterval', timers.clearInterval);
  defineOperation(globalObject, 'clearTimeout', timers.clearTimeout);
  defineOperation(globalObject, 'setInterval', timers.setInterval);
  defineOperation(globalObject, 'setTimeout', timers.setTimeout);
  defineOperation(globalObject, 'clearImmediate', timers.clearImmediate);
  defineOperation(globalObject, 'setImmediate', timers.setImmediate);
}

// --- globals -----------------------------------------------------------------

function defineOperation(target, name, method) {
  ObjectDefineProperty(target, name, {
    __proto__: null, writable: true, enumerable: true, configurable: true, value: method,
  });
}

function defineReplaceableLazy(target, name, load, enumerable = false) {
  let value;
  let loaded = false;
  ObjectDefineProperty(target, name, {
    __proto__: null,
    enumerable,
    configurable: true,
    get() {
      if (!loaded) {
        value = load();
        loaded = true;
      }
      return value;
    },
    set(v) {
      ObjectDefineProperty(target, name, {
        __proto__: null, value: v, writable: true, enumerable, configurable: true,
      });
    },
  });
}

function lazyClass(name, id, key = name) {
  defineReplaceableLazy(globalObject, name, () => require(id)[key]);
}

ObjectDefineProperty(globalObject, 'global', {
  __proto__: null, value: globalObject, writable: true, enumerable: false, configurable: true,
});
ObjectDefineProperty(globalObject, 'process', {
  __proto__: null, value: process, writable: true, enumerable: false, configurable: true,
});

defineReplaceableLazy(globalObject, 'console', () => require('internal/console/global'));
defineReplaceableLazy(globalObject, 'Buffer', () => require('buffer').Buffer);
lazyClass('URL', 'internal/url');
lazyClass('URLSearchParams', 'internal/url');
lazyClass('TextEncoder', 'internal/encoding');
lazyClass('TextDecoder', 'internal/encoding');
lazyClass('AbortController', 'internal/abort_controller');
lazyClass('AbortSignal', 'internal/abort_controller');
lazyClass('EventTarget', 'internal/event_target');
lazyClass('Event', 'internal/event_target');
lazyClass('DOMException', 'internal/domexception', 'DOMException');
lazyClass('Blob', 'buffer');
for (const name of ['TransformStream', 'TransformStreamDefaultController'])
  lazyClass(name, 'internal/webstreams/transformstream');
for (const name of ['WritableStream', 'WritableStreamDefaultController', 'WritableStreamDefaultWriter'])
  lazyClass(name, 'internal/webstreams/writablestream');
for (const name of ['ReadableStream', 'ReadableStreamDefaultReader', 'ReadableStreamBYOBReader',
                    'ReadableStreamBYOBRequest', 'ReadableByteStreamController',
                    'ReadableStreamDefaultController'])
  lazyClass(name, 'internal/webstreams/readablestream');
for (const name of ['ByteLengthQueuingStrategy', 'CountQueuingStrategy'])
  lazyClass(name, 'internal/webstreams/queuingstrategies');
for (const name of ['TextEncoderStream', 'TextDecoderStream'])
  lazyClass(name, 'internal/webstreams/encoding');
for (const name of ['CompressionStream', 'DecompressionStream'])
  lazyClass(name, 'internal/webstreams/compression');
defineReplaceableLazy(globalObject, 'atob', () => require('buffer').atob, true);
defineReplaceableLazy(globalObject, 'btoa', () => require('buffer').btoa, true);
defineReplaceableLazy(globalObject, 'structuredClone', () => internalBinding('messaging').structuredClone, true);
defineReplaceableLazy(globalObject, 'performance', () => require('perf_hooks').performance, true);

// --- hooks for the runtime -----------------------------------------------------

{
  const { onGlobalUncaughtException } = require('internal/process/execution');
  let cjs;
  const loadCjs = () => cjs ??= require('internal/modules/cjs/loader');

  ops.op_runtime_set_hooks({
    onUncaught(er, fromPromise) {
      if (onGlobalUncaughtException(er, fromPromise)) return true;
      return process.exitCode || 1;
    },
    inspectError(err) {
      if (typeof err === 'string') return err;
      const text = require('internal/util/inspect').inspect(err);
      // inspect() brackets an error without stack frames; a fatal report shows it as
      // Node does, unbracketed.
      const stack = typeof err?.stack === 'string' ? err.stack : undefined;
      if (stack !== undefined && text.startsWith(`[${stack}]`)) {
        return stack + text.slice(stack.length + 2);
      }
      return text;
    },
    beforeExit() {
      if (!process._exiting) process.emit('beforeExit', process.exitCode || 0);
    },
    exit() {
      if (!process._exiting) {
        process._exiting = true;
        process.emit('exit', process.exitCode || 0);
      }
      return process.exitCode || 0;
    },
    cjsLoad(filename, isMain) {
      return loadCjs().Module._load(filename, null, isMain);
    },
    builtinLoad(id) {
      return require(id);
    },
    evalCjs(code) {
      return loadCjs().evalScript(code);
    },
  });
}

// Error stacks are formatted by Node's prepareStackTrace: `TypeError [ERR_X]: ...`
// for Node's errors, user `Error.prepareStackTrace` overrides, hidden internal frames.
ops.op_errors_set_prepare_stack_trace_callback(require('internal/errors').prepareStackTrace);
