'use strict';

// internalBinding('task_queue'): the microtask queue, the tick callback the loop calls
// after every macrotask, and V8's promise-rejection events.

const ops = internalBinding('ops');

module.exports = {
  // [kHasTickScheduled, kHasRejectionToWarn]; read by JS only (the loop always calls
  // the tick callback, which returns at once when there is nothing to do).
  tickInfo: new Uint8Array(2),
  runMicrotasks: ops.op_task_run_microtasks,
  setTickCallback: ops.op_task_set_tick_callback,
  enqueueMicrotask: ops.op_task_enqueue_microtask,
  setPromiseRejectCallback: ops.op_task_set_promise_reject_callback,
  promiseRejectEvents: {
    kPromiseRejectWithNoHandler: 0,
    kPromiseHandlerAddedAfterReject: 1,
    kPromiseResolveAfterResolved: 2,
    kPromiseRejectAfterResolved: 3,
  },
};
