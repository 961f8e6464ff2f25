'use strict';

// weir does not implement async_hooks' hook API: no init/before/after/destroy hook
// ever runs. Async ids are still allocated so that code which reads them (timers,
// nextTick, AsyncResource) keeps working.

const async_id_symbol = Symbol('asyncId');
const trigger_async_id_symbol = Symbol('triggerAsyncId');
const owner_symbol = Symbol('owner_symbol');

let lastAsyncId = 1;

function newAsyncId() { return ++lastAsyncId; }
function getDefaultTriggerAsyncId() { return 1; }
function executionAsyncId() { return 1; }
function triggerAsyncId() { return 0; }
function no() { return false; }
function nothing() {}

function defaultTriggerAsyncIdScope(triggerAsyncId, block, ...args) {
  return block(...args);
}

module.exports = {
  symbols: { async_id_symbol, trigger_async_id_symbol, owner_symbol },
  newAsyncId,
  getDefaultTriggerAsyncId,
  executionAsyncId,
  triggerAsyncId,
  executionAsyncResource() { return {}; },
  defaultTriggerAsyncIdScope,
  initHooksExist: no,
  afterHooksExist: no,
  destroyHooksExist: no,
  emitInit: nothing,
  emitBefore: nothing,
  emitAfter: nothing,
  emitDestroy: nothing,
  pushAsyncContext: nothing,
  popAsyncContext: no,
  clearAsyncIdStack: nothing,
  hasAsyncIdStack: no,
  clearDefaultTriggerAsyncId: nothing,
};
