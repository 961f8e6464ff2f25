'use strict';
// Adapted from Node.js lib/internal/idna.js (MIT, see js-api/LICENSE.node).

const { toASCII, toUnicode } = internalBinding('url');
module.exports = { toASCII, toUnicode };
