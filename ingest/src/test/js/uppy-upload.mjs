// Drives uppy-page.html (Uppy 6 with @uppy/tus) in Debian's headless Chromium against an ingest on another origin.
// Usage: node uppy-upload.mjs --page URL --endpoint URL --token JWT --consent ID
//          [--file PATH [--chunk-size BYTES] [--retry-delays MS,MS,...] [--reload-at-offset BYTES]
//          [--pause-at BYTES] [--tus JSON]] [--probe] [--chromium PATH]
// --file uploads it (with --reload-at-offset the page is reloaded once the upload reaches that offset, and the
// same file is chosen again; with --pause-at it is paused and resumed once that many bytes went; --tus adds
// @uppy/tus options); --probe has the page fetch a tus creation with and without the token.
// Prints one JSON line: {origin, upload, probe, heldAt, pausedAt, requests, console, pageErrors, failedRequests}.
// requests are the tus requests as the page saw them (onAfterResponse), by phase: 'first' or 'after-reload'.
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  const next = all[i + 1];
  if (arg.startsWith('--')) pairs.push([arg.slice(2), next !== undefined && !next.startsWith('--') ? next : 'true']);
  return pairs;
}, []));
const endpointOrigin = new URL(args.endpoint).origin;
const options = {
  endpoint: args.endpoint,
  token: args.token,
  consentId: args.consent,
  chunkSize: args['chunk-size'] ? Number(args['chunk-size']) : Infinity,
  retryDelays: args['retry-delays'] !== undefined
    ? args['retry-delays'].split(',').filter((d) => d !== '').map(Number) : [200, 500, 1000],
  tus: args.tus ? JSON.parse(args.tus) : {},
  pauseAt: args['pause-at'] ? Number(args['pause-at']) : null,
};

function within(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(timer));
}

const browser = await chromium.launch({
  executablePath: args.chromium || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const out = { heldAt: null, pausedAt: null, requests: [], console: [], pageErrors: [], failedRequests: [] };
try {
  const page = await browser.newPage();
  let phase = 'first';
  const collectRequests = async () => {
    const requests = await page.evaluate(() => window.sessionflow.requests);
    out.requests.push(...requests.map((request) => ({ phase, ...request })));
  };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') out.console.push(message.text());
  });
  page.on('pageerror', (error) => out.pageErrors.push(String(error)));
  page.on('requestfailed', (request) => out.failedRequests.push({ phase, method: request.method(),
    url: request.url(), failure: request.failure() && request.failure().errorText }));
  const open = async () => {
    await page.goto(args.page);
    await page.waitForFunction(() => window.sessionflow && window.sessionflow.ready, null, { timeout: 15000 });
    out.origin = await page.evaluate(() => window.location.origin);
  };
  const upload = async (extra) => {
    await page.setInputFiles('#recording', args.file);
    return page.evaluate((o) => window.sessionflow.upload(o), { ...options, ...extra });
  };

  await open();
  if (args.probe) {
    out.probe = await within(page.evaluate((o) => window.sessionflow.probe(o), options), 40000, 'probe');
  }
  if (args.file) {
    if (args['reload-at-offset']) {
      const holdAtOffset = Number(args['reload-at-offset']);
      // The held upload never settles: do not await it, the reload discards it.
      upload({ holdAtOffset }).catch(() => {});
      await page.waitForFunction(() => window.sessionflow.heldAt !== null, null, { timeout: 30000 });
      out.heldAt = await page.evaluate(() => window.sessionflow.heldAt);
      await collectRequests();
      phase = 'after-reload';
      await open();
    }
    out.upload = await within(upload({}), 40000, 'upload');
    out.pausedAt = await page.evaluate(() => window.sessionflow.pausedAt);
    await collectRequests();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
