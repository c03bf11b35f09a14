// Loads the ops dashboard in headless Chromium, waits for live data, measures what the charts
// drew and saves a screenshot. Prints one JSON line for the Java test to assert on.
import { chromium } from 'playwright-core';

const [url, screenshot, executablePath = '/usr/bin/chromium'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => Number(document.body.dataset.points || 0) >= 3, null, { timeout: 30000 });
  const charts = await page.$$eval('canvas', (canvases) => canvases.map((canvas) => {
    const context = canvas.getContext('2d');
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && !(data[i] > 240 && data[i + 1] > 240 && data[i + 2] > 240)) inked++;
    }
    return inked;
  }));
  const tiles = await page.$$eval('.tile .v', (values) => values.map((v) => v.textContent));
  const status = await page.textContent('#status');
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ charts, tiles, status, errors, url: page.url() }));
} finally {
  await browser.close();
}
