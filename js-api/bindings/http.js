'use strict';

// internalBinding('http'): the handler side of HTTP exchanges, named by id.

const ops = internalBinding('ops');

module.exports = {
  listen: ops.op_http_listen,
  ready: ops.op_http_ready,
  setContext: ops.op_http_set_context,
  read: ops.op_http_read,
  respond: ops.op_http_respond,
  inform: ops.op_http_inform,
  write: ops.op_http_write,
  end: ops.op_http_end,
  abort: ops.op_http_abort,
  dropBody: ops.op_http_drop_body,
  bodyTaken: ops.op_http_body_taken,
  logError: ops.op_http_log_error,
  sendFile: ops.op_http_send_file,
  source: ops.op_http_source,
  sink: ops.op_http_sink,
  localAddress: ops.op_http_local_address,
  headers: ops.op_http_headers,
  rawHeaders: ops.op_http_raw_headers,
};
