'use strict';

// Bases for `req` and `res` that are real Readable / Writable instances but create
// their stream state on first use: most handlers never read a GET's body, and most
// responses end in one call, so the per-request cost of Node's stream state (and,
// for `res.end(body)`, of Writable's end/finish/destroy machinery) is only paid by
// the requests that use it.

const {
  ObjectDefineProperty,
  ObjectSetPrototypeOf,
} = primordials;

const { Readable, Writable } = require('stream');

const kStateMade = Symbol('kStateMade');
const kStateInit = Symbol('kStateInit');

function ownValue(self, name, value) {
  ObjectDefineProperty(self, name, {
    __proto__: null, value, writable: true, configurable: true, enumerable: true,
  });
}

// `proto[name]` made by `make(self)` on first read (then an own data property of
// `self`); assigning it first sets the own property instead. `made(self, value)`, if
// given, is told either way.
function defineLazyProperty(proto, name, make, made) {
  ObjectDefineProperty(proto, name, {
    __proto__: null,
    configurable: true,
    enumerable: false,
    get() {
      const value = make(this);
      ownValue(this, name, value);
      if (made !== undefined) made(this, value, true);
      return value;
    },
    set(value) {
      ownValue(this, name, value);
      if (made !== undefined) made(this, value, false);
    },
  });
}

function defineLazyState(proto, name, make) {
  defineLazyProperty(proto, name, make, (self, state, initialize) => {
    self[kStateMade] = true;
    const init = self[kStateInit];
    if (initialize && init !== undefined) init(self, state);
  });
}

// What EventEmitter's constructor sets, but for the listener table: EventEmitter's
// methods make it with the first listener, and most requests and responses get none.
function initEmitter(self) {
  self._events = undefined;
  self._eventsCount = 0;
  self._maxListeners = undefined;
}

function LazyReadable() {
  initEmitter(this);
}
ObjectSetPrototypeOf(LazyReadable.prototype, Readable.prototype);
ObjectSetPrototypeOf(LazyReadable, Readable);
defineLazyState(LazyReadable.prototype, '_readableState',
                (self) => new Readable.ReadableState(undefined, self, false));

function lazyWritable(options) {
  function LazyWritable() {
    initEmitter(this);
  }
  ObjectSetPrototypeOf(LazyWritable.prototype, Writable.prototype);
  ObjectSetPrototypeOf(LazyWritable, Writable);
  defineLazyState(LazyWritable.prototype, '_writableState',
                  (self) => new Writable.WritableState(options, self, false));
  return LazyWritable;
}

module.exports = { LazyReadable, lazyWritable, defineLazyProperty, kStateMade, kStateInit };
