'use strict';
// Adapted from Node.js lib/path/posix.js (MIT, see js-api/LICENSE.node).

module.exports = require('path').posix;
