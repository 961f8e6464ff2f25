'use strict';
// Adapted from Node.js lib/internal/worker/js_transferable.js (MIT, see js-api/LICENSE.node).

// weir has no worker threads and no MessagePort, so no object is ever sent
// across threads: the symbols are kept so that classes can define their
// [kClone]/[kTransfer]/[kDeserialize] hooks as in Node.js, and
// makeTransferable() returns the object as it is (in Node.js it re-creates it
// on top of the native JSTransferable base, which only postMessage() reads).

const {
  messaging_deserialize_symbol,
  messaging_transfer_symbol,
  messaging_clone_symbol,
  messaging_transfer_list_symbol,
} = internalBinding('symbols');

function setup() {}

function makeTransferable(obj) {
  return obj;
}

module.exports = {
  makeTransferable,
  setup,
  kClone: messaging_clone_symbol,
  kDeserialize: messaging_deserialize_symbol,
  kTransfer: messaging_transfer_symbol,
  kTransferList: messaging_transfer_list_symbol,
};
