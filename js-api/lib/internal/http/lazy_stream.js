'use strict';

// Bases for `req` and `res` that are real Readable / Writable instances but create
// their stream state on first use: most handlers never read a GET's body, and most
// responses end in one call, so the per-request cost of Node's stream state (and,
// for `res.end(body)`, of Writable's end/finish/destroy machinery) is only paid by
// the requests that use it.

const {
  FunctionPrototypeCall,
  ObjectDefineProperty,
  ObjectSetPrototypeOf,
} = primordials;

const { Readable, Writable } = require('stream');
const { Stream } = require('internal/streams/legacy');

const kStateMade = Symbol('kStateMade');
const kStateInit = Symbol('kStateInit');

function defineLazyState(proto, name, make) {
  ObjectDefineProperty(proto, name, {
    __proto__: null,
    configurable: true,
    enumerable: false,
    get() {
      const state = make(this);
      this[kStateMade] = true;
      ObjectDefineProperty(this, name, {
        __proto__: null, value: state, writable: true, configurable: true, enumerable: true,
      });
      const init = this[kStateInit];
      if (init !== undefined) init(this, state);
      return state;
    },
    set(value) {
      this[kStateMade] = true;
      ObjectDefineProperty(this, name, {
        __proto__: null, value, writable: true, configurable: true, enumerable: true,
      });
    },
  });
}

function LazyReadable() {
  FunctionPrototypeCall(Stream, this);
}
ObjectSetPrototypeOf(LazyReadable.prototype, Readable.prototype);
ObjectSetPrototypeOf(LazyReadable, Readable);
defineLazyState(LazyReadable.prototype, '_readableState',
                (self) => new Readable.ReadableState(undefined, self, false));

function lazyWritable(options) {
  function LazyWritable() {
    FunctionPrototypeCall(Stream, this);
  }
  ObjectSetPrototypeOf(LazyWritable.prototype, Writable.prototype);
  ObjectSetPrototypeOf(LazyWritable, Writable);
  defineLazyState(LazyWritable.prototype, '_writableState',
                  (self) => new Writable.WritableState(options, self, false));
  return LazyWritable;
}

module.exports = { LazyReadable, lazyWritable, kStateMade, kStateInit };
