import { x } from './does-not-exist.js';
console.log(x);
