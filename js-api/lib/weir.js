'use strict';

// The `weir` module: what weir adds to Node's API. This release carries the runtime's
// version; the server, file and live-stream APIs arrive with their features.

const versions = internalBinding('process').versions();

module.exports = {
  version: versions.weir,
  versions: { weir: versions.weir, v8: versions.v8 },
};
