'use strict';

// internalBinding('fs'): whole-file reads and writes, stat, directories, read streams.

const ops = internalBinding('ops');

module.exports = {
  readFileSync: ops.op_fs_read_file_sync,
  readFile: ops.op_fs_read_file,
  writeFileSync: ops.op_fs_write_file_sync,
  writeFile: ops.op_fs_write_file,
  statSync: ops.op_fs_stat_sync,
  stat: ops.op_fs_stat,
  realpathSync: ops.op_fs_realpath_sync,
  readdirSync: ops.op_fs_readdir_sync,
  mkdirSync: ops.op_fs_mkdir_sync,
  unlinkSync: ops.op_fs_unlink_sync,
  rmSync: ops.op_fs_rm_sync,
  streamCreate: ops.op_fs_stream_create,
  streamOpen: ops.op_fs_stream_open,
  streamNative: ops.op_fs_stream_native,
};
