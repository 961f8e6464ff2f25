'use strict';

// The `process` module is the global process object.
module.exports = process;
