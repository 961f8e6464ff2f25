'use strict';
// Adapted from Node.js lib/assert/strict.js (MIT, see js-api/LICENSE.node).

module.exports = require('assert').strict;
