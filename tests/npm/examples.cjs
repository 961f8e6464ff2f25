// The same packages through require().
const ms = require('ms');
const semver = require('semver');
const EventEmitter = require('eventemitter3');
const HLS = require('hls-parser');

console.log(ms('1h'), ms(3600000), semver.major('3.4.5'), semver.compare('1.0.0', '1.0.1'));
const ee = new EventEmitter();
ee.on('x', (v) => console.log('x', v));
ee.emit('x', 'cjs');
const master = HLS.parse(`#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=1280000,RESOLUTION=640x360
low.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2560000,RESOLUTION=1280x720
high.m3u8
`);
console.log(master.isMasterPlaylist, master.variants.map((v) => `${v.uri}@${v.bandwidth}`).join(' '));
