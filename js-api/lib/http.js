'use strict';

// `http`: the request and response classes weir handlers receive, status codes and
// methods. A handler is served by `weir serve handler.js`; creating servers from a
// script (`http.createServer().listen()`) is not part of weir yet.

const { STATUS_CODES, METHODS, validateHeaderName, validateHeaderValue } = require('internal/http/common');
const { IncomingMessage } = require('internal/http/incoming');
const { ServerResponse } = require('internal/http/outgoing');
const { ERR_METHOD_NOT_IMPLEMENTED } = require('internal/errors').codes;

function createServer() {
  throw new ERR_METHOD_NOT_IMPLEMENTED('http.createServer (run a handler with `weir serve handler.js`)');
}

module.exports = {
  STATUS_CODES,
  METHODS,
  IncomingMessage,
  ServerResponse,
  validateHeaderName,
  validateHeaderValue,
  createServer,
  maxHeaderSize: 65536,
};
