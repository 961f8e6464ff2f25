'use strict';

// The parts of async_hooks that work without engine hooks: AsyncResource (scopes are
// plain calls) and the id accessors. createHook and AsyncLocalStorage need promise
// hooks that weir does not install; they throw instead of silently doing nothing.

const {
  newAsyncId,
  getDefaultTriggerAsyncId,
  executionAsyncId,
  triggerAsyncId,
  executionAsyncResource,
} = require('internal/async_hooks');
const { ERR_METHOD_NOT_IMPLEMENTED } = require('internal/errors').codes;
const { validateFunction, validateString } = require('internal/validators');

class AsyncResource {
  #asyncId;
  #triggerAsyncId;
  constructor(type, opts = {}) {
    validateString(type, 'type');
    this.#asyncId = newAsyncId();
    this.#triggerAsyncId = typeof opts === 'number' ? opts :
      (opts?.triggerAsyncId ?? getDefaultTriggerAsyncId());
  }
  runInAsyncScope(fn, thisArg, ...args) {
    return Reflect.apply(fn, thisArg, args);
  }
  emitDestroy() { return this; }
  asyncId() { return this.#asyncId; }
  triggerAsyncId() { return this.#triggerAsyncId; }
  bind(fn, thisArg) {
    validateFunction(fn, 'fn');
    const bound = (...args) => this.runInAsyncScope(fn, thisArg === undefined ? this : thisArg, ...args);
    Object.defineProperties(bound, {
      length: { __proto__: null, configurable: true, enumerable: false, value: fn.length, writable: false },
      asyncResource: { __proto__: null, configurable: true, enumerable: true, value: this, writable: true },
    });
    return bound;
  }
  static bind(fn, type, thisArg) {
    type = type || fn.name || 'bound-anonymous-fn';
    return (new AsyncResource(type)).bind(fn, thisArg);
  }
}

function createHook() {
  throw new ERR_METHOD_NOT_IMPLEMENTED('async_hooks.createHook');
}

class AsyncLocalStorage {
  constructor() {
    throw new ERR_METHOD_NOT_IMPLEMENTED('AsyncLocalStorage');
  }
}

module.exports = {
  AsyncResource,
  AsyncLocalStorage,
  createHook,
  executionAsyncId,
  triggerAsyncId,
  executionAsyncResource,
};
