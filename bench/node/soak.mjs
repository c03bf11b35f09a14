// Soak: a steady mix of uploads through a running standalone for MINUTES, sampling the server
// process every 10 s (heap used from /metrics; resident memory, open file descriptors and threads
// from /proc) and, once a minute, the heap after a full collection (jcmd GC.run), the figure that
// shows a leak (and, at the end of the warm-up and of the run, live objects by class, to say what
// grew). The mix, one operation every EVERY seconds, in turn:
//   tus upload of a 20 s recording in 256 KiB PATCHes, one-shot POST of a 10 s recording,
//   a tus upload abandoned halfway and terminated, a clinic import (tar.gz) of three 5 s
//   recordings, reads of an earlier recording's status and transcript, one-shot POST of 10 s.
// Afterwards it waits for every recording to be ANALYZED with its audio PURGED (or FAILED, which
// is counted) and checks that terminated uploads left nothing behind.
// Usage: node soak.mjs --base URL --pid PID --token JWT --admin-token JWT --consent ID --client-ref REF
//          [--minutes 30] [--every 4] [--csv FILE]
// Prints one JSON line with the summary; --csv gets one row per sample.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Upload } from 'tus-js-client';
import { jvmHeapUsed, mib, options, processFigures, wav } from './util.mjs';

const opt = options();
const minutes = Number(opt.minutes ?? 30);
const every = Number(opt.every ?? 4) * 1000;
const auth = { Authorization: `Bearer ${opt.token}` };
const admin = { Authorization: `Bearer ${opt['admin-token']}` };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const recordings = new Set();
const own = []; // the therapist's own recordings (not imported), for the reads
const terminated = [];
const errors = [];
let seed = 1;

function tus(data, { chunkSize = Infinity, stopAfter = Infinity } = {}) {
  return new Promise((resolve, reject) => {
    let stopped = false;
    const upload = new Upload(data, {
      endpoint: `${opt.base}/files/`,
      headers: auth,
      metadata: { consentId: opt.consent, filename: 'soak.wav', filetype: 'audio/wav' },
      chunkSize,
      retryDelays: [200, 500, 1000, 2000],
      onProgress: (sent) => {
        if (!stopped && sent >= stopAfter) {
          stopped = true;
          upload.abort(true).then(() => resolve({ url: upload.url, done: false }), reject);
        }
      },
      onSuccess: () => resolve({ url: upload.url, done: true }),
      onError: reject,
    });
    upload.start();
  });
}

async function post(secs) {
  const res = await fetch(`${opt.base}/v1/recordings?consentId=${opt.consent}`, { method: 'POST', headers: auth,
    body: wav(secs, seed++) });
  if (res.status !== 201) throw new Error(`POST /v1/recordings: ${res.status}`);
  const { id } = await res.json();
  recordings.add(id);
  own.push(id);
}

function tarGz(files) {
  const blocks = [];
  for (const [name, data] of Object.entries(files)) {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000600\0', 100); header.write('0000000\0', 108); header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
    header.write('        ', 148); header.write('0', 156); header.write('ustar\0', 257); header.write('00', 263);
    const sum = header.reduce((a, b) => a + b, 0);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

async function importArchive() {
  const names = [0, 1, 2].map((i) => `soak-${seed}-${i}.wav`);
  const files = { 'manifest.csv': Buffer.from('filename,clientRef,consentId,recordedAt\n'
    + names.map((n) => `${n},${opt['client-ref']},${opt.consent},2026-01-01T09:00:00Z`).join('\n') + '\n') };
  for (const n of names) files[n] = wav(5, seed++);
  const res = await fetch(`${opt.base}/v1/imports`, { method: 'POST', headers: admin, body: tarGz(files) });
  if (res.status !== 202) throw new Error(`POST /v1/imports: ${res.status}`);
  const report = await res.json();
  for (const entry of report.entries) {
    if (entry.outcome !== 'STORED') throw new Error(`import entry ${entry.index}: ${entry.reason}`);
    recordings.add(entry.recordingId);
  }
}

async function read() {
  const id = own[Math.floor(own.length / 2)];
  if (!id) return;
  const res = await fetch(`${opt.base}/v1/recordings/${id}`, { headers: auth });
  if (res.status !== 200) throw new Error(`GET /v1/recordings/${id}: ${res.status}`);
  const status = await res.json();
  if (status.status === 'ANALYZED') {
    const res = await fetch(`${opt.base}/v1/recordings/${id}/transcript`, { headers: auth });
    if (res.status !== 200) throw new Error(`GET transcript: ${res.status}`);
    await res.arrayBuffer();
  }
}

const idOf = (url) => url.slice(url.lastIndexOf('/') + 1);
const mix = [
  async () => {
    const id = idOf((await tus(wav(20, seed++), { chunkSize: 256 * 1024 })).url);
    recordings.add(id);
    own.push(id);
  },
  () => post(10),
  async () => terminated.push(idOf((await tus(wav(20, seed++), { chunkSize: 128 * 1024, stopAfter: 320_000 })).url)),
  importArchive,
  read,
  () => post(10),
];

const metrics = () => jvmHeapUsed(opt.base, opt['ops-token']);

/** Live objects by class after a full collection (`jcmd GC.class_histogram`): name -> bytes. */
function classHistogram() {
  const text = execFileSync('jcmd', [String(opt.pid), 'GC.class_histogram'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const bytes = new Map();
  for (const m of text.matchAll(/^\s*\d+:\s+\d+\s+(\d+)\s+(\S+)/gm)) bytes.set(m[2], Number(m[1]));
  return bytes;
}

const samples = [];
const started = Date.now();
let opsStarted = 0;
let lastGc = -Infinity;
async function sample() {
  const t = (Date.now() - started) / 1000;
  let heapAfterGc = '';
  if (t - lastGc >= 60) {
    lastGc = t;
    execFileSync('jcmd', [String(opt.pid), 'GC.run'], { stdio: 'ignore' });
    heapAfterGc = mib(await metrics());
  }
  samples.push({ t: Math.round(t), heapUsedMib: mib(await metrics()), heapAfterGcMib: heapAfterGc,
    ...processFigures(opt.pid), opsStarted, recordings: recordings.size, errors: errors.length });
}

const warmUp = Math.min(300, minutes * 10);
let histogramAfterWarmUp = null;
const running = new Set();
const sampler = setInterval(() => sample().catch((e) => errors.push(`sample: ${e.message}`)), 10_000);
const afterWarmUp = setTimeout(() => { histogramAfterWarmUp = classHistogram(); }, warmUp * 1000);
await sample();
while (Date.now() - started < minutes * 60_000) {
  const op = mix[opsStarted++ % mix.length]().catch((e) => errors.push(e.message));
  running.add(op);
  op.finally(() => running.delete(op));
  await sleep(every);
}
await Promise.all(running);
const mixEnded = Date.now();

const outcome = { analyzedAndPurged: 0, failed: 0, pending: 0 };
const pending = new Set(recordings);
while (pending.size > 0 && Date.now() - mixEnded < 15 * 60_000) {
  for (const id of pending) {
    // The clinic admin sees every recording of the practice, imported ones included.
    const res = await fetch(`${opt.base}/v1/recordings/${id}`, { headers: admin });
    if (res.status !== 200) throw new Error(`GET /v1/recordings/${id}: ${res.status}`);
    const status = await res.json();
    if (status.status === 'FAILED') { outcome.failed++; pending.delete(id); }
    if (status.status === 'ANALYZED' && status.audio === 'PURGED') { outcome.analyzedAndPurged++; pending.delete(id); }
  }
  if (pending.size > 0) await sleep(2000);
}
outcome.pending = pending.size;
clearInterval(sampler);
clearTimeout(afterWarmUp);
await sample();
// What grew on the heap between the end of the warm-up and now, by class.
const histogramAtEnd = classHistogram();
const grew = histogramAfterWarmUp === null ? [] : [...histogramAtEnd.entries()]
  .map(([name, bytes]) => ({ name, kib: Math.round((bytes - (histogramAfterWarmUp.get(name) ?? 0)) / 1024) }))
  .sort((a, b) => b.kib - a.kib).slice(0, 6);
let leftBehind = 0;
for (const id of terminated) {
  const res = await fetch(`${opt.base}/files/${id}`, { method: 'HEAD', headers: { ...auth, 'Tus-Resumable': '1.0.0' } });
  if (res.status !== 404 && res.status !== 410) leftBehind++;
}

// Flatness over the steady part: least-squares slope per hour after the warm-up (the first five
// minutes, or the first sixth of a shorter run).
function slopePerHour(points) {
  const n = points.length;
  if (n < 3) return null;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return Math.round(num / den * 3600 * 10) / 10;
}
const steady = samples.filter((s) => s.t >= warmUp && s.t <= minutes * 60);
const series = (key) => steady.filter((s) => s[key] !== '').map((s) => [s.t, s[key]]);
const range = (key) => {
  const v = series(key).map((p) => p[1]);
  return v.length ? { first: v[0], last: v[v.length - 1], min: Math.min(...v), max: Math.max(...v) } : null;
};
const result = {
  minutes, warmUpSeconds: warmUp, opsStarted, recordings: recordings.size, terminatedUploads: terminated.length,
  leftBehind, ...outcome,
  errors: errors.length, firstErrors: errors.slice(0, 5),
  heapAfterGcMib: { ...range('heapAfterGcMib'), slopePerHour: slopePerHour(series('heapAfterGcMib')) },
  rssMib: { ...range('rssMib'), slopePerHour: slopePerHour(series('rssMib')) },
  fds: { ...range('fds'), slopePerHour: slopePerHour(series('fds')) },
  threads: { ...range('threads'), slopePerHour: slopePerHour(series('threads')) },
  heapUsedPeakMib: Math.max(...samples.map((s) => s.heapUsedMib)),
  heapGrowthByClass: grew,
};
if (opt.csv) {
  writeFileSync(opt.csv, 't_s,heap_used_mib,heap_after_gc_mib,rss_mib,open_fds,threads,ops_started,recordings,errors\n'
    + samples.map((s) => [s.t, s.heapUsedMib, s.heapAfterGcMib, s.rssMib, s.fds, s.threads, s.opsStarted,
      s.recordings, s.errors].join(',')).join('\n') + '\n');
}
console.log(JSON.stringify(result));
