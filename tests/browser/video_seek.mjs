#!/usr/bin/env node
// Plays a video in a real browser (headless Chromium, driven by playwright-core) and seeks in it.
//
//   node tests/browser/video_seek.mjs 'http://127.0.0.1:PORT/video.html?src=/video/sample.mp4'
//
// The page is tests/browser/video.html served next to the media. The script starts playback
// (muted), waits until currentTime > 1 s, seeks to 6 s, checks that the seek landed there and
// waits until currentTime > 6.5 s. It exits 0 with a short report, or 1 with the reason (a media
// error, a seek that did not land, a page that did not load, or 30 s passing).
//
// Setup: apt-get install chromium; (cd tests/browser && npm install).
// Environment: CHROMIUM (default /usr/bin/chromium), TIMEOUT_MS (default 30000),
// SEEK_TO (default 6), PLAY_PAST (default 1), ADVANCE_PAST (default SEEK_TO + 0.5),
// SCREENSHOT (a .png path: the page is saved there once the check has passed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const url = process.argv[2];
if (!url || !/^https?:\/\//.test(url)) {
  console.error('usage: node tests/browser/video_seek.mjs http://HOST:PORT/path/video.html?src=/video/sample.mp4');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeoutMs = Number(process.env.TIMEOUT_MS || 30000);
const seekTo = Number(process.env.SEEK_TO || 6);
const playPast = Number(process.env.PLAY_PAST || 1);
const advancePast = Number(process.env.ADVANCE_PAST || seekTo + 0.5);

// Chromium flags for a headless run as root in a container with no GPU and no outside network.
// (--user-data-dir is given as launchPersistentContext's first argument: a fresh folder.)
const args = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

const started = Date.now();
const elapsed = () => Date.now() - started;
const remaining = () => Math.max(1, timeoutMs - elapsed());
const fmt = (t) => (typeof t === 'number' && Number.isFinite(t) ? t.toFixed(3) : String(t));

const mediaRequests = []; // what the browser asked for and what the server answered
const consoleErrors = [];
let context;
let page;
let userDataDir;
let pageLoaded = false;

class Failure extends Error {}

async function pageState() {
  if (!page || !pageLoaded) return null;
  try {
    return await page.evaluate(() => {
      const v = window.__video;
      if (!v) return { note: 'the page has no window.__video: is it tests/browser/video.html?' };
      return {
        src: v.currentSrc,
        currentTime: v.currentTime,
        duration: v.duration,
        paused: v.paused,
        readyState: v.readyState,
        networkState: v.networkState,
        error: window.__mediaError(),
        buffered: window.__buffered(),
        seekable: window.__seekable(),
        events: window.__events.slice(-15).map((e) =>
          `${e.at}ms ${e.type} t=${e.currentTime.toFixed(3)} ready=${e.readyState}` +
          (e.error ? ` ${e.error.name} ${e.error.message}` : '')),
      };
    });
  } catch (e) {
    return { note: `could not read the page: ${e.message}` };
  }
}

// Waits until fn(arg) in the page returns a truthy value; a media error ends the wait at once.
async function waitFor(what, fn, arg) {
  const handle = await page.waitForFunction(
    ({ fn, arg }) => {
      if (window.__video && window.__video.error) return { mediaError: window.__mediaError() };
      // eslint-disable-next-line no-new-func
      const r = new Function('v', 'arg', `return (${fn})(v, arg)`)(window.__video, arg);
      return r ? { ok: r } : null;
    },
    { fn: fn.toString(), arg },
    { timeout: remaining(), polling: 50 },
  ).catch((e) => {
    if (/Timeout/i.test(e.message)) throw new Failure(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    throw e;
  });
  const r = await handle.jsonValue();
  if (r.mediaError) {
    throw new Failure(`media error while waiting for ${what}: ${r.mediaError.name} (code ${r.mediaError.code})` +
      (r.mediaError.message ? `: ${r.mediaError.message}` : ''));
  }
  return r.ok;
}

async function run() {
  userDataDir = mkdtempSync(join(tmpdir(), 'weir-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args,
    timeout: remaining(),
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('response', (res) => {
    const req = res.request();
    if (req.resourceType() !== 'media') return;
    mediaRequests.push({
      url: req.url(),
      range: req.headers().range || '-',
      status: res.status(),
      contentRange: res.headers()['content-range'] || '-',
      acceptRanges: res.headers()['accept-ranges'] || '-',
    });
  });
  page.on('requestfailed', (req) => {
    if (req.resourceType() === 'media') {
      mediaRequests.push({ url: req.url(), range: req.headers().range || '-', status: `failed (${req.failure()?.errorText})`, contentRange: '-', acceptRanges: '-' });
    }
  });

  const res = await page.goto(url, { waitUntil: 'load', timeout: remaining() });
  if (!res || !res.ok()) throw new Failure(`the page ${url} answered ${res ? res.status() : 'nothing'}`);
  pageLoaded = true;
  const hasPlayer = await page.evaluate(() => !!window.__video && !!window.__video.getAttribute('src'));
  if (!hasPlayer) throw new Failure('the page has no video with a src: is it tests/browser/video.html with ?src=...?');

  const times = {};
  await waitFor('the metadata (loadedmetadata)', (v) => v.readyState >= 1);
  times.metadata = elapsed();
  const duration = await page.evaluate(() => window.__video.duration);
  if (duration === Infinity) {
    // A file played as if it were a live stream: the browser could not read the end of it
    // (for Ogg it reads the last page with a Range request), so it cannot seek by time either.
    throw new Failure('the duration is Infinity: the browser treats the file as a live stream (did the server answer the Range request?)');
  }
  if (!(duration > advancePast)) throw new Failure(`the video is ${fmt(duration)} s long: too short to seek to ${seekTo} s`);

  const played = await page.evaluate(() => window.__video.play().then(() => 'ok', (e) => `${e.name}: ${e.message}`));
  if (played !== 'ok') throw new Failure(`video.play() was rejected: ${played}`);
  await waitFor(`currentTime > ${playPast} s`, (v, t) => v.currentTime > t && v.currentTime, playPast);
  times.playedPast = elapsed();
  const before = await page.evaluate(() => ({ t: window.__video.currentTime, seekable: window.__seekable() }));

  // Seek, then wait for 'seeked' and check where it landed: a seek that fails or is clamped
  // must not pass just because playback from 1 s reached 6.5 s on its own.
  await page.evaluate((to) => {
    window.__seekedAt = null;
    window.__video.addEventListener('seeked', () => { window.__seekedAt = window.__video.currentTime; }, { once: true });
    window.__video.currentTime = to;
  }, seekTo);
  times.seekStarted = elapsed();
  const landed = await waitFor(`the seek to ${seekTo} s to finish (seeked)`, () => window.__seekedAt !== null && { t: window.__seekedAt });
  times.seeked = elapsed();
  if (Math.abs(landed.t - seekTo) > 0.5) {
    throw new Failure(`the seek to ${seekTo} s landed at ${fmt(landed.t)} s (seekable before the seek: ${JSON.stringify(before.seekable)})`);
  }
  const after = await waitFor(`currentTime > ${advancePast} s after the seek`, (v, t) => v.currentTime > t && v.currentTime, advancePast);
  times.advanced = elapsed();

  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
  const state = await pageState();
  const lines = [
    `PASS ${url}`,
    `  video:    ${state.src}`,
    `  duration: ${fmt(duration)} s; seekable before the seek: ${JSON.stringify(before.seekable)}`,
    `  times:    metadata after ${times.metadata} ms; currentTime ${fmt(before.t)} s after ${times.playedPast} ms;` +
      ` seek to ${seekTo} s landed at ${fmt(landed.t)} s in ${times.seeked - times.seekStarted} ms;` +
      ` currentTime ${fmt(after)} s after ${times.advanced} ms`,
    `  media error: ${state.error ? JSON.stringify(state.error) : 'none'}`,
    `  media requests (${mediaRequests.length}):`,
    ...mediaRequests.map((r) => `    Range: ${r.range} -> ${r.status} Content-Range: ${r.contentRange} Accept-Ranges: ${r.acceptRanges}`),
  ];
  if (consoleErrors.length) lines.push(`  console errors: ${consoleErrors.join(' | ')}`);
  console.log(lines.join('\n'));
}

async function cleanup() {
  if (context) await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
}

async function reportFailure(message) {
  const state = await Promise.race([pageState(), new Promise((r) => setTimeout(() => r(null), 3000))]);
  const lines = [`FAIL ${url}`, `  ${message}`];
  if (state) {
    if (state.note) lines.push(`  ${state.note}`);
    else {
      lines.push(
        `  state: currentTime ${fmt(state.currentTime)} s, duration ${fmt(state.duration)} s, paused ${state.paused},` +
          ` readyState ${state.readyState}, networkState ${state.networkState}`,
        `  media error: ${state.error ? JSON.stringify(state.error) : 'none'}`,
        `  buffered: ${JSON.stringify(state.buffered)} seekable: ${JSON.stringify(state.seekable)}`,
        '  last events:',
        ...state.events.map((e) => `    ${e}`),
      );
    }
  }
  lines.push(`  media requests (${mediaRequests.length}):`,
    ...mediaRequests.map((r) => `    Range: ${r.range} -> ${r.status} Content-Range: ${r.contentRange} Accept-Ranges: ${r.acceptRanges}`));
  if (consoleErrors.length) lines.push(`  console errors: ${consoleErrors.join(' | ')}`);
  console.error(lines.join('\n'));
}

// A last-resort watchdog in case the browser itself hangs (launch, close).
const watchdog = setTimeout(() => {
  console.error(`FAIL ${url}\n  no result after ${(timeoutMs + 10000) / 1000} s (the browser hung)`);
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  process.exit(1);
}, timeoutMs + 10000);

let code = 0;
try {
  await run();
} catch (e) {
  code = 1;
  await reportFailure(e instanceof Failure ? e.message : `${e.name}: ${e.message.split('\n')[0]}`);
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
process.exit(code);
