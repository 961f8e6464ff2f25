'use strict';

// internalBinding('timers'): one loop timer (armed with the earliest expiry of all JS
// timer lists) and the immediate queue's counters, shared with the loop.

const ops = internalBinding('ops');

// [kCount, kRefCount, kHasOutstanding]: the loop reads kCount and kRefCount after
// running immediates.
const immediateInfo = new Uint32Array(3);
const timeoutInfo = new Int32Array(1);

module.exports = {
  getLibuvNow: ops.op_timers_now,
  setupTimers(processImmediate, processTimers) {
    ops.op_timers_setup(processImmediate, processTimers, immediateInfo);
  },
  scheduleTimer: ops.op_timers_schedule,
  toggleTimerRef: ops.op_timers_toggle_ref,
  toggleImmediateRef: ops.op_timers_toggle_immediate_ref,
  immediateInfo,
  timeoutInfo,
};
