'use strict';

// The `weir` module: what weir adds to Node's API.

const versions = internalBinding('process').versions();

module.exports = {
  version: versions.weir,
  versions: { weir: versions.weir, v8: versions.v8 },
  // Loaded on first use: `weir run` scripts never touch the server's modules.
  get sendFile() { return require('internal/http/send_file').sendFile; },
};
