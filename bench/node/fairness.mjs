// One noisy practice holds upload memory with STREAMS slow PATCHes (headers and 64 KiB sent, then
// nothing) while a quiet practice uploads SIZE bytes with tus (create + one PATCH). Prints one JSON line:
// the quiet upload's seconds alone and while the noisy streams hold their memory (capped at --cap seconds).
// Usage: node fairness.mjs --base URL --noisy-token JWT --noisy-consent ID --quiet-token JWT
//          --quiet-consent ID --ops-token JWT --streams N --size BYTES [--rounds 3] [--cap 90]
import { randomFillSync } from 'node:crypto';
import http from 'node:http';
import { metricsText, options } from './util.mjs';

const args = options();
const streams = Number(args.streams || 16);
const size = Number(args.size || 8 << 20);
const rounds = Number(args.rounds || 3);
const cap = Number(args.cap || 90);
const noisyLength = 64 << 20;
const data = randomFillSync(Buffer.alloc(size));
data.write('RIFF', 0);

const tus = (token, extra = {}) => ({ Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0', ...extra });

async function create(token, consent, length) {
  const response = await fetch(`${args.base}/files/`, { method: 'POST', headers: tus(token, {
    'Upload-Length': String(length), 'Upload-Metadata': `consentId ${Buffer.from(consent).toString('base64')}` }) });
  if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
  return response.headers.get('location');
}

/** Seconds for one quiet upload, or null past the cap. */
async function quietUpload() {
  const started = process.hrtime.bigint();
  const location = await create(args['quiet-token'], args['quiet-consent'], size);
  const patch = fetch(`${args.base}${location}`, { method: 'PATCH', body: data, signal: AbortSignal.timeout(cap * 1000),
    headers: tus(args['quiet-token'], { 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' }) });
  try {
    const response = await patch;
    if (response.status !== 204) throw new Error(`PATCH answered ${response.status}: ${await response.text()}`);
  } catch (error) {
    if (error.name === 'TimeoutError') return null;
    throw error;
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function metric(name) {
  const text = await metricsText(args.base, args['ops-token']);
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const median = (xs) => { const s = [...xs].sort((a, b) => (a ?? Infinity) - (b ?? Infinity)); return s[s.length >> 1]; };

const alone = [];
for (let i = 0; i < rounds; i++) alone.push(await quietUpload());

// The noise: STREAMS uploads, each with a PATCH that sends 64 KiB and then holds its connection.
const locations = [];
for (let i = 0; i < streams; i++) locations.push(await create(args['noisy-token'], args['noisy-consent'], noisyLength));
const held = locations.map((location) => {
  const request = http.request(`${args.base}${location}`, { method: 'PATCH', headers: tus(args['noisy-token'], {
    'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(noisyLength) }) });
  request.on('error', () => {});
  request.write(randomFillSync(Buffer.alloc(64 << 10)));
  return request;
});
const until = Date.now() + 30_000;
while (Date.now() < until && (await metric('sessionflow_upload_buffer_waiting')) === 0) {
  await new Promise((r) => setTimeout(r, 200));
}
const heldMib = Math.round((await metric('sessionflow_upload_buffer_bytes')) / 1048576);
const waiting = await metric('sessionflow_upload_buffer_waiting');
const noisy = [];
for (let i = 0; i < rounds; i++) noisy.push(await quietUpload());
held.forEach((request) => request.destroy());
for (const location of locations) {
  for (let tries = 0; tries < 50; tries++) {
    const response = await fetch(`${args.base}${location}`, { method: 'DELETE', headers: tus(args['noisy-token']) });
    if (response.status === 204) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}
const round = (x) => (x === null ? null : Number(x.toFixed(2)));
console.log(JSON.stringify({ streams, size, rounds, cap, noisyHeldMib: heldMib, noisyWaiting: waiting,
  aloneSeconds: alone.map(round), noisySeconds: noisy.map(round), aloneMedian: round(median(alone)),
  noisyMedian: round(median(noisy)) }));
