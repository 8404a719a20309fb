'use strict';
// e2e 3, the browser half: headless Chromium opens flv_relay's demo page,
// which plays live/demo with mpegts.js (FLV demuxed in the page, fed to Media
// Source Extensions). Passes when the video's currentTime advances by at
// least 3 s and frames were decoded; saves a screenshot either way.
//
//   node tests/e2e/browser.cjs http://127.0.0.1:PORT SCREENSHOT.png
//
// playwright-core comes from web/node_modules (web/package.json); the browser
// is the system's Chromium (CHROMIUM overrides /usr/bin/chromium). Bounded:
// 90 s of polling at most, every browser step with its own timeout.
const path = require('path');

const WEB_DIR = path.resolve(__dirname, '../../web');
const ADVANCE_S = 3;
const DEADLINE_MS = 90000;

function fail(msg) {
  console.log('browser: FAIL ' + msg);
  process.exitCode = 1;
}

async function main() {
  const [base, shot] = process.argv.slice(2);
  if (!base || !shot) {
    console.log('usage: node browser.cjs BASE_URL SCREENSHOT.png');
    process.exit(2);
  }
  let chromium;
  try {
    ({ chromium } = require(require.resolve('playwright-core', { paths: [WEB_DIR] })));
  } catch (e) {
    return fail('playwright-core is not installed in web/ (npm install there, or make demo): ' + e.message);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const console_lines = [];
    page.on('console', (m) => console_lines.push(m.type() + ': ' + m.text()));
    page.on('pageerror', (e) => console_lines.push('pageerror: ' + e.message));
    await page.goto(base + '/', { waitUntil: 'load', timeout: 30000 });

    const support = await page.evaluate(() => ({
      mpegts: typeof mpegts !== 'undefined',
      h264aac: typeof MediaSource !== 'undefined' &&
        MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E,mp4a.40.2"'),
      ua: navigator.userAgent,
    }));
    console.log('browser: ' + support.ua.replace(/^.*?(HeadlessChrome\/\S+|Chrome\/\S+).*$/, '$1') +
      ', mpegts.js loaded: ' + support.mpegts + ', MSE H.264+AAC: ' + support.h264aac);

    const sample = () => page.evaluate(() => {
      const v = document.getElementById('video');
      const q = v.getVideoPlaybackQuality();
      return { t: v.currentTime, frames: q.totalVideoFrames, dropped: q.droppedVideoFrames,
        muted: v.muted, w: v.videoWidth, h: v.videoHeight,
        status: document.getElementById('status').textContent };
    });
    const start = Date.now();
    let first = null, last = null;
    while (Date.now() - start < DEADLINE_MS) {
      last = await sample();
      if (!first && last.t > 0) first = { ...last, at: Date.now() };
      if (first && last.t - first.t >= ADVANCE_S && last.frames > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // A moment for the streams table to show its row, then the picture.
    await page.waitForSelector('#streams td.mono', { timeout: 10000 }).catch(() => {});
    await page.screenshot({ path: shot, timeout: 30000 });

    const advanced = first ? last.t - first.t : 0;
    const wall = first ? (Date.now() - first.at) / 1000 : 0;
    console.log(`browser: currentTime ${first ? first.t.toFixed(2) : '-'} -> ${last.t.toFixed(2)} s ` +
      `(advanced ${advanced.toFixed(2)} s in ${wall.toFixed(1)} s), ${last.frames} frames decoded, ` +
      `${last.dropped} dropped, ${last.w}x${last.h}, muted ${last.muted}, status "${last.status}"`);
    console.log('browser: screenshot ' + shot);
    if (!(advanced >= ADVANCE_S)) fail(`currentTime advanced ${advanced.toFixed(2)} s, want ${ADVANCE_S} s`);
    else if (!(last.frames > 0)) fail('no video frame decoded');
    else console.log('browser: ok');
    if (process.exitCode) {
      console.log('browser: page console:');
      for (const line of console_lines.slice(-20)) console.log('  ' + line);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
