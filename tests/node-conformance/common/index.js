'use strict';
// A small stand-in for the `test/common` module of Node.js's test suite, so that
// Node's own test files can run unchanged under weir (and under node, to compare).
// Only what the selected tests use is here; every helper follows the contract of
// the helper of the same name in Node's suite (a call-count mismatch found on
// 'exit' fails the process with exit code 1).

const assert = require('assert');
const { inspect } = require('util');

const isWindows = process.platform === 'win32';
const isLinux = process.platform === 'linux';
const isOSX = process.platform === 'darwin';
const isAIX = process.platform === 'aix';
const isIBMi = process.platform === 'os400';
const isFreeBSD = process.platform === 'freebsd';
const isOpenBSD = process.platform === 'openbsd';
const isSunOS = process.platform === 'sunos';

function noop() {}

// ---------------------------------------------------------------------------
// Call-count checks.

const callChecks = [];
let exitListenerAdded = false;

function describeExpectation(check) {
  if ('exact' in check) return `exactly ${check.exact}`;
  return `at least ${check.minimum}`;
}

function checkFailed(check) {
  if ('exact' in check) return check.actual !== check.exact;
  return check.actual < check.minimum;
}

function onExitCheckCalls(code) {
  // A process that already fails keeps its own exit code and message.
  if (code !== 0 && code !== undefined) return;
  const failures = callChecks.filter(checkFailed);
  for (const check of failures) {
    console.log('Mismatched %s function calls. Expected %s, actual %d.',
                check.name, describeExpectation(check), check.actual);
    console.log(check.stack.split('\n').slice(2).join('\n'));
  }
  if (failures.length > 0) process.exit(1);
}

function wrapCounted(fn, count, field) {
  if (process._exiting)
    throw new Error('Cannot use common.mustCall*() in process exit handler');
  if (typeof fn === 'number') {
    count = fn;
    fn = noop;
  } else if (fn === undefined) {
    fn = noop;
  }
  if (count === undefined) count = 1;
  if (typeof count !== 'number')
    throw new TypeError(`Invalid ${field} value: ${count}`);

  const check = {
    [field]: count,
    actual: 0,
    stack: inspect(new Error()),
    name: fn.name || '<anonymous>',
  };
  if (!exitListenerAdded) {
    exitListenerAdded = true;
    process.on('exit', onExitCheckCalls);
  }
  callChecks.push(check);

  const wrapper = function() {
    check.actual++;
    return fn.apply(this, arguments);
  };
  // Keep the wrapped function's own `name` and `length`.
  Object.defineProperties(wrapper, {
    name: { value: fn.name, writable: false, enumerable: false, configurable: true },
    length: { value: fn.length, writable: false, enumerable: false, configurable: true },
  });
  return wrapper;
}

function mustCall(fn, exact) {
  return wrapCounted(fn, exact, 'exact');
}

function mustCallAtLeast(fn, minimum) {
  return wrapCounted(fn, minimum, 'minimum');
}

function mustSucceed(fn, exact) {
  return mustCall(function(err, ...args) {
    assert.ifError(err);
    if (typeof fn === 'function') return fn.apply(this, args);
  }, exact);
}

function getCallSite(top) {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (err, frames) =>
    `${frames[0].getFileName()}:${frames[0].getLineNumber()}`;
  const holder = {};
  Error.captureStackTrace(holder, top);
  // Read the stack while our formatter is installed.
  const site = holder.stack;
  Error.prepareStackTrace = saved;
  return site;
}

function mustNotCall(msg) {
  const site = getCallSite(mustNotCall);
  return function mustNotCall(...args) {
    const shown = args.length > 0 ?
      `\ncalled with arguments: ${args.map((a) => inspect(a)).join(', ')}` : '';
    assert.fail(`${msg || 'function should not have been called'} at ${site}${shown}`);
  };
}

// Returns a callback that must be called `exact` times (default once) with a
// single error argument matching `validator` (as in assert.throws()).
function expectsError(validator, exact) {
  return mustCall((...args) => {
    if (args.length !== 1)
      assert.fail(`Expected one argument, got ${inspect(args)}`);
    const error = args[0];
    const desc = Object.getOwnPropertyDescriptor(error, 'message');
    // Errors made by Node's internals have a non-enumerable message.
    assert.strictEqual(desc.enumerable, false);
    assert.throws(() => { throw error; }, validator);
    return true;
  }, exact);
}

// ---------------------------------------------------------------------------
// Warnings.

let warningHandlers;

function makeWarningCheck(name, expected, code) {
  if (typeof expected === 'string') {
    expected = [[expected, code]];
  } else if (!Array.isArray(expected)) {
    expected = Object.entries(expected).map(([message, c]) => [message, c]);
  } else if (!Array.isArray(expected[0])) {
    expected = [[expected[0], expected[1]]];
  }
  // Node's helper stays strict about the number of warnings of each name.
  return mustCall((warning) => {
    const [message, warnCode] = expected.shift();
    assert.strictEqual(warning.name, name);
    if (typeof message === 'string') {
      assert.strictEqual(warning.message, message);
    } else {
      assert.match(warning.message, message);
    }
    assert.strictEqual(warning.code, warnCode);
  }, expected.length);
}

function expectWarning(nameOrMap, expected, code) {
  if (warningHandlers === undefined) {
    warningHandlers = {};
    process.on('warning', (warning) => {
      const handler = warningHandlers[warning.name];
      if (!handler) {
        throw new TypeError(
          `"${warning.name}" was triggered without being expected.\n${inspect(warning)}`);
      }
      handler(warning);
    });
  }
  if (typeof nameOrMap === 'string') {
    warningHandlers[nameOrMap] = makeWarningCheck(nameOrMap, expected, code);
  } else {
    for (const name of Object.keys(nameOrMap))
      warningHandlers[name] = makeWarningCheck(name, nameOrMap[name]);
  }
}

// ---------------------------------------------------------------------------
// Misc helpers.

function platformTimeout(ms) {
  const two = typeof ms === 'bigint' ? 2n : 2;
  if (process.features && process.features.debug) ms = two * ms;
  if (isAIX || isIBMi) return two * ms;
  return ms;
}

function printSkipMessage(msg) {
  console.log(`1..0 # Skipped: ${msg}`);
}

function skip(msg) {
  printSkipMessage(msg);
  process.exit(0);
}

function invalidArgTypeHelper(input) {
  if (input == null) return ` Received ${input}`;
  if (typeof input === 'function' && input.name)
    return ` Received function ${input.name}`;
  if (typeof input === 'object') {
    if (input.constructor && input.constructor.name)
      return ` Received an instance of ${input.constructor.name}`;
    return ` Received ${inspect(input, { depth: -1 })}`;
  }
  let shown = inspect(input, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof input} (${shown})`;
}

function getArrayBufferViews(buf) {
  const { buffer, byteOffset, byteLength } = buf;
  const out = [];
  const types = [
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
    Int32Array, Uint32Array, Float32Array, Float64Array, DataView,
  ];
  if (typeof BigInt64Array === 'function') types.push(BigInt64Array, BigUint64Array);
  for (const Type of types) {
    const { BYTES_PER_ELEMENT = 1 } = Type;
    if (byteLength % BYTES_PER_ELEMENT === 0)
      out.push(new Type(buffer, byteOffset, byteLength / BYTES_PER_ELEMENT));
  }
  return out;
}

function mustNotMutateObjectDeep(original) {
  if (original === null || typeof original !== 'object') return original;
  const handler = {
    defineProperty(target, prop) { assert.fail(`Expected no side effects, got ${inspect(prop)} defined`); },
    deleteProperty(target, prop) { assert.fail(`Expected no side effects, got ${inspect(prop)} deleted`); },
    get(target, prop, receiver) { return mustNotMutateObjectDeep(Reflect.get(target, prop, receiver)); },
    preventExtensions() { assert.fail('Expected no side effects, got extensions prevented'); },
    set(target, prop) { assert.fail(`Expected no side effects, got ${inspect(prop)} set`); },
    setPrototypeOf() { assert.fail('Expected no side effects, got set prototype'); },
  };
  return new Proxy(original, handler);
}

// ---------------------------------------------------------------------------
// Leaked globals: a test must not leave new global variables behind.

const knownGlobals = new Set(Object.getOwnPropertyNames(globalThis));

function allowGlobals(...names) {
  for (const name of names) knownGlobals.add(name);
}

process.on('exit', (code) => {
  if (code !== 0 && code !== undefined) return;
  const leaked = Object.getOwnPropertyNames(globalThis)
    .filter((name) => !knownGlobals.has(name));
  if (leaked.length > 0) {
    console.error(`Unexpected global(s) found: ${leaked.join(', ')}`);
    process.exit(1);
  }
});

module.exports = {
  allowGlobals,
  expectsError,
  expectWarning,
  getArrayBufferViews,
  getCallSite,
  hasCrypto: false,
  hasIntl: typeof Intl === 'object',
  invalidArgTypeHelper,
  isAIX,
  isFreeBSD,
  isIBMi,
  isLinux,
  isOpenBSD,
  isOSX,
  isSunOS,
  isWindows,
  isMainThread: true,
  mustCall,
  mustCallAtLeast,
  mustNotCall,
  mustNotMutateObjectDeep,
  mustSucceed,
  noop,
  platformTimeout,
  printSkipMessage,
  skip,
};
