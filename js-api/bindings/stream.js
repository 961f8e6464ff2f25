'use strict';

// internalBinding('stream'): native pipes between byte sources and sinks.

const ops = internalBinding('ops');

module.exports = {
  pipe: ops.op_stream_pipe,
  close: ops.op_stream_close,
  read: ops.op_stream_read,
};
