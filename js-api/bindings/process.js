'use strict';

// internalBinding('process'): the native half of the `process` object.

const ops = internalBinding('ops');

module.exports = {
  argv: ops.op_process_argv,
  execArgv: ops.op_process_exec_argv,
  execPath: ops.op_process_exec_path,
  envGet: ops.op_process_env_get,
  envSet: ops.op_process_env_set,
  envDelete: ops.op_process_env_delete,
  envKeys: ops.op_process_env_keys,
  cwd: ops.op_process_cwd,
  chdir: ops.op_process_chdir,
  pid: ops.op_process_pid,
  ppid: ops.op_process_ppid,
  hrtime: ops.op_process_hrtime,
  hrtimeBigInt: ops.op_process_hrtime_bigint,
  memoryUsage: ops.op_process_memory_usage,
  rss: ops.op_process_rss,
  cpuUsage: ops.op_process_cpu_usage,
  uptime: ops.op_process_uptime,
  reallyExit: ops.op_process_exit,
  umask: ops.op_process_umask,
  kill: ops.op_process_kill,
  versions: ops.op_weir_version,
  print: ops.op_print,
  isatty: ops.op_isatty,
};
