'use strict';

// internalBinding('modules'): resolution, format detection and compilation for the
// CommonJS loader (shared with the ES module loader in Rust).

const ops = internalBinding('ops');

module.exports = {
  resolve: ops.op_module_resolve,
  format: ops.op_module_format,
  compileFunction: ops.op_module_compile_cjs,
  readSource: ops.op_module_read_source,
  runScript: ops.op_module_run_script,
  requireEsm: ops.op_module_require_esm,
};
