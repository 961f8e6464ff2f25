'use strict';
// Adapted from Node.js lib/_stream_writable.js (MIT, see js-api/LICENSE.node).

// Keep this file as an alias for the full stream module.

module.exports = require('stream').Writable;
