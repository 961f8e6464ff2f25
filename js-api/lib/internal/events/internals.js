'use strict';

// weir: what internal modules need of events.js that it does not export, set by
// events.js as it loads: EventEmitter's own emit() (before any user code can replace
// it) and its handling of a listener's promise (`captureRejections`).
module.exports = { emit: undefined, addCatch: undefined };
