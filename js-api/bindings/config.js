'use strict';
// The object that Node.js's lib/ receives from internalBinding('config'): how
// this runtime was built. weir has no ICU (so util.inspect measures string
// width in JS), no OpenSSL, no inspector and no trace events.

module.exports = {
  isDebugBuild: false,
  hasOpenSSL: false,
  fipsMode: false,
  hasIntl: false,
  hasTracing: false,
  hasNodeOptions: false,
  hasInspector: false,
  noBrowserGlobals: false,
  bits: 64,
};
