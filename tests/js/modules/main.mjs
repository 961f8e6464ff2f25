import { a, fn, self } from './lib/cjs-lib.cjs';
import cjsDefault from './lib/cjs-lib.cjs';
import hello, { kind } from 'cond-pkg';
import feature from 'cond-pkg/feature';
import lazy from 'cond-pkg/lazy/thing';
import scoped from '@scope/pkg';
import internal from '#internal';
import data from './data.json' with { type: 'json' };
import { EventEmitter } from 'node:events';
import events from 'events';
import { createRequire } from 'node:module';

console.log('cjs named exports:', a, fn(1), self());
console.log('cjs default is module.exports:', cjsDefault.a === a);
console.log('exports "import" condition:', kind, hello());
console.log('exports subpath:', feature);
console.log('exports pattern:', lazy);
console.log('scoped package:', scoped);
console.log('package imports:', internal);
console.log('json module:', data.answer, data.list.length);
console.log('builtin named and default:', EventEmitter === events, typeof events.once);
console.log('import.meta.url:', import.meta.url.endsWith('/tests/js/modules/main.mjs'));
console.log('import.meta.resolve:', import.meta.resolve('cond-pkg').endsWith('/node_modules/cond-pkg/esm.mjs'));

const dyn = await import('./lib/esm-only.mjs');
console.log('dynamic import:', dyn.esmOnly);
const dynCjs = await import('cond-pkg/feature');
console.log('dynamic import of cjs default:', dynCjs.default);

const require = createRequire(import.meta.url);
console.log('require "require" condition:', require('cond-pkg').kind);
console.log('require resolves main without extension:', require('plain-pkg').viaMain);
console.log('require json:', require('./data.json').answer);
console.log('require #imports to a package:', require('#dep').name);
try {
  require('cond-pkg/hidden/secret');
} catch (err) {
  console.log('not exported:', err.code);
}
try {
  await import('cond-pkg/not-there');
} catch (err) {
  console.log('import not exported:', err.code);
}
try {
  await import('no-such-package');
} catch (err) {
  console.log('import missing package:', err.code, err.message.startsWith("Cannot find package 'no-such-package' imported from"));
}
