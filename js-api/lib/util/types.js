'use strict';
// Adapted from Node.js lib/util/types.js (MIT, see js-api/LICENSE.node).

module.exports = require('internal/util/types');
