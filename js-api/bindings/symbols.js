'use strict';

// internalBinding('symbols'): the per-isolate private symbols of Node.js
// (PER_ISOLATE_SYMBOL_PROPERTIES in src/env_properties.h), keyed by their
// descriptions. They are ordinary unique symbols here.

const { Symbol } = primordials;

module.exports = {
  __proto__: null,
  default_host_defined_options: Symbol('default_host_defined_options'),
  fs_use_promises_symbol: Symbol('fs_use_promises_symbol'),
  async_id_symbol: Symbol('async_id_symbol'),
  handle_onclose: Symbol('handle_onclose'),
  no_message_symbol: Symbol('no_message_symbol'),
  messaging_deserialize_symbol: Symbol('messaging_deserialize_symbol'),
  messaging_transfer_symbol: Symbol('messaging_transfer_symbol'),
  messaging_clone_symbol: Symbol('messaging_clone_symbol'),
  messaging_transfer_list_symbol: Symbol('messaging_transfer_list_symbol'),
  oninit: Symbol('oninit'),
  owner_symbol: Symbol('owner_symbol'),
  onpskexchange: Symbol('onpskexchange'),
  resource_symbol: Symbol('resource_symbol'),
  trigger_async_id_symbol: Symbol('trigger_async_id_symbol'),
  vm_dynamic_import_missing_flag: Symbol('vm_dynamic_import_missing_flag'),
};
