// A first script: Node's APIs, ES modules and top-level await under weir.
import { setTimeout as sleep } from 'node:timers/promises';
import { version } from 'weir';

console.log(`hello from weir ${version} on V8 ${process.versions.v8}`);
await sleep(100);
console.log('100 ms later, with', new URL('https://example.com/live/stream.m3u8').pathname);
