'use strict';
// Adapted from Node.js lib/internal/process/execution.js (MIT, see js-api/LICENSE.node).

const {
  clearDefaultTriggerAsyncId,
} = require('internal/async_hooks');

const exceptionHandlerState = {
  captureFn: null,
  reportFlag: false,
};

function setUncaughtExceptionCaptureCallback(fn) {
  if (fn === null) {
    exceptionHandlerState.captureFn = fn;
    return;
  }
  const { validateFunction } = require('internal/validators');
  validateFunction(fn, 'fn');
  if (exceptionHandlerState.captureFn !== null) {
    const { ERR_UNCAUGHT_EXCEPTION_CAPTURE_ALREADY_SET } = require('internal/errors').codes;
    throw new ERR_UNCAUGHT_EXCEPTION_CAPTURE_ALREADY_SET();
  }
  exceptionHandlerState.captureFn = fn;
}

function hasUncaughtExceptionCaptureCallback() {
  return exceptionHandlerState.captureFn !== null;
}

function noop() {}

// The runtime calls this for every uncaught exception (and unhandled rejection in
// 'throw' mode). It returns true when a listener handled the error; otherwise it
// emits 'exit' and returns false, and the runtime prints the error and exits.
function createOnGlobalUncaughtException() {
  return (er, fromPromise) => {
    clearDefaultTriggerAsyncId();

    const type = fromPromise ? 'unhandledRejection' : 'uncaughtException';
    process.emit('uncaughtExceptionMonitor', er, type);
    if (exceptionHandlerState.captureFn !== null) {
      exceptionHandlerState.captureFn(er);
    } else if (!process.emit('uncaughtException', er, type)) {
      try {
        if (!process._exiting) {
          process._exiting = true;
          process.exitCode = 1;
          process.emit('exit', 1);
        }
      } catch {
        // Nothing to be done about it at this point.
      }
      return false;
    }

    // If we handled an error, then make sure any ticks get processed
    // by ensuring that the next Immediate cycle isn't empty.
    require('timers').setImmediate(noop);
    return true;
  };
}

module.exports = {
  onGlobalUncaughtException: createOnGlobalUncaughtException(),
  setUncaughtExceptionCaptureCallback,
  hasUncaughtExceptionCaptureCallback,
};
