const path = require('path');
const lib = require('./lib/cjs-lib.cjs');
console.log('require relative:', lib.a, lib.fn(2));
console.log('cycle sees partial exports:', require('./cycle-a').seenByA);
console.log('require without extension:', require('./cycle-b').seenByB);
console.log('require directory index:', require('./node_modules/@scope/pkg'));
console.log('package main:', require('plain-pkg').name);
console.log('node: prefix and bare builtin:', require('node:path') === path, require('events') === require('node:events'));
console.log('__filename/__dirname:', path.basename(__filename), path.basename(__dirname));
console.log('require.resolve:', path.relative(__dirname, require.resolve('cond-pkg')));
console.log('require.resolve builtin:', require.resolve('fs'), require.resolve('node:fs'));
console.log('module identity:', require.main === module, module.id);
console.log('require.cache holds modules:', Object.keys(require.cache).some((k) => k.endsWith('cjs-lib.cjs')));
console.log('require of ESM returns its namespace:', require('./lib/esm-only.mjs').esmOnly);
try {
  require('./lib/tla.mjs');
} catch (err) {
  console.log('require of ESM with top-level await:', err.code);
}
try {
  require('./missing');
} catch (err) {
  console.log('missing:', err.code, err.requireStack.map((p) => path.basename(p)));
}
import('./lib/esm-only.mjs').then((m) => console.log('import() from CommonJS:', m.esmOnly));
