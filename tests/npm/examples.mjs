// The documented examples of each package, printed so the output can be compared
// with Node's.
import ms from 'ms';
import semver from 'semver';
import EventEmitter from 'eventemitter3';
import HLS from 'hls-parser';
import { chunk, debounce, groupBy } from 'lodash-es';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// ms (CommonJS, imported from ESM)
console.log(ms('2 days'), ms('1d'), ms('10h'), ms('2.5 hrs'), ms('-3 days'), ms(60000), ms(2 * 60000, { long: true }));

// semver (CommonJS with many internal requires)
console.log(semver.valid('1.2.3'), semver.valid('a.b.c'), semver.clean('  =v1.2.3   '));
console.log(semver.satisfies('1.2.3', '1.x || >=2.5.0 || 5.0.0 - 7.2.3'), semver.gt('1.2.3', '9.8.7'), semver.lt('1.2.3', '9.8.7'));
console.log(semver.minVersion('>=1.0.0'), semver.valid(semver.coerce('v2')), semver.inc('1.2.3', 'prerelease', 'beta'));
console.log(require('semver/functions/major')('4.5.6'));

// eventemitter3 (package with "exports" conditions)
const ee = new EventEmitter();
ee.on('data', (a, b) => console.log('eventemitter3 got', a, b));
ee.once('data', () => console.log('eventemitter3 once'));
ee.emit('data', 1, 2);
ee.emit('data', 3, 4);
console.log('listeners:', ee.listenerCount('data'));

// hls-parser: parse and serialize a media playlist
const playlist = HLS.parse(`#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXTINF:6.0,
segment0.ts
#EXTINF:6.0,
segment1.ts
#EXTINF:4.2,
segment2.ts
#EXT-X-ENDLIST
`);
console.log(playlist.isMasterPlaylist, playlist.segments.length, playlist.segments.map((s) => s.uri).join(','), playlist.targetDuration);
console.log(HLS.stringify(playlist).split('\n').length);

// lodash-es (hundreds of ES modules)
console.log(JSON.stringify(chunk(['a', 'b', 'c', 'd'], 3)), JSON.stringify(groupBy([6.1, 4.2, 6.3], Math.floor)));
const debounced = debounce(() => console.log('debounced once'), 10);
debounced();
debounced();
debounced();
