'use strict';
// Adapted from Node.js lib/path/win32.js (MIT, see js-api/LICENSE.node).

module.exports = require('path').win32;
