// Upload complete -> audio purged, per recording, through a running Sessionflow: uploads COUNT
// generated recordings of SECONDS each (one-shot POST, a few at a time), waits until every one is
// ANALYZED with its audio PURGED, and reads the times from each recording's own history.
// Usage: node e2e-bench.mjs --base URL --token JWT --consent ID --count 100 --seconds 60 [--parallel 4]
// Prints one JSON line with the percentiles and writes per-recording rows to --csv FILE.
import { writeFileSync } from 'node:fs';
import { options, wav } from './util.mjs';

const opt = options();
const count = Number(opt.count ?? 100);
const seconds = Number(opt.seconds ?? 60);
const parallel = Number(opt.parallel ?? 4);
const auth = { Authorization: `Bearer ${opt.token}` };

const ids = [];
let next = 0;
const started = Date.now();
async function uploader() {
  while (next < count) {
    const i = next++;
    const res = await fetch(`${opt.base}/v1/recordings?consentId=${opt.consent}`, { method: 'POST', headers: auth,
      body: wav(seconds, 1000 + i) });
    if (res.status !== 201) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
    ids.push((await res.json()).id);
  }
}
await Promise.all(Array.from({ length: parallel }, uploader));
const uploaded = Date.now();

const done = new Map();
while (done.size < ids.length) {
  for (const id of ids) {
    if (done.has(id)) continue;
    const status = await (await fetch(`${opt.base}/v1/recordings/${id}`, { headers: auth })).json();
    if (status.status === 'FAILED') throw new Error(`${id} failed: ${JSON.stringify(status.failure)}`);
    if (status.status === 'ANALYZED' && status.audio === 'PURGED') done.set(id, status);
  }
  if (Date.now() - uploaded > 3 * 3600 * 1000) throw new Error('not all purged within 3 hours');
  await new Promise((r) => setTimeout(r, 1000));
}
const at = (status, what) => Date.parse(status.history.find((h) => h.status === what).at);
const rows = [...done.entries()].map(([id, s]) => ({ id, storedToPurged: (at(s, 'AUDIO_PURGED') - at(s, 'STORED')) / 1000,
  storedToTranscribed: (at(s, 'TRANSCRIBED') - at(s, 'STORED')) / 1000 }));
const pct = (values, p) => values.sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)];
const purge = rows.map((r) => r.storedToPurged);
const afterTranscript = rows.map((r) => Math.round((r.storedToPurged - r.storedToTranscribed) * 1000) / 1000);
const result = { recordings: rows.length, secondsEach: seconds, uploadSeconds: (uploaded - started) / 1000,
  totalSeconds: (Date.now() - started) / 1000, p50: pct([...purge], 0.5), p95: pct([...purge], 0.95),
  max: Math.max(...purge), purgeP50: pct([...afterTranscript], 0.5), purgeP95: pct([...afterTranscript], 0.95) };
if (opt.csv) {
  writeFileSync(opt.csv, 'recording,stored_to_transcribed_s,stored_to_purged_s\n'
    + rows.map((r) => `${r.id},${r.storedToTranscribed},${r.storedToPurged}`).join('\n') + '\n');
}
console.log(JSON.stringify(result));
