// Uploads STREAMS recordings of SIZE bytes at once with tus-js-client and prints one JSON line.
// Usage: node tus-bench.mjs --endpoint URL --streams N --size BYTES [--token JWT] [--consent ID]
//          [--pid PID] [--jvm | --node-memory URL]
// With --pid it samples the server every 100 ms while the uploads run and adds its peak resident
// memory and its peak heap: a JVM's through `jstat -gc` (which reads the JVM's perf-data file and
// costs the server nothing), a node server's from its memory route, and the CPU seconds it spent per GB
// (10^9 bytes) uploaded, from /proc (for a JVM also its JIT compiler threads' share of them);
// --store-pid PID adds the same for the object store's process.
// Every upload sends different bytes (a random run at the start), so none is recognised as a re-upload.
import { randomFillSync } from 'node:crypto';
import { Upload } from 'tus-js-client';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { compilerCpuSeconds, cpuSeconds, mib, options, processFigures } from './util.mjs';

const args = options();
const streams = Number(args.streams || 1);
const size = Number(args.size || 64 * 1024 * 1024);
const data = randomFillSync(Buffer.alloc(size));
data.write('RIFF', 0);

let retries = 0; // requests tus-js-client had to retry: a run with any is slowed by its delays
function uploadOnce() {
  return new Promise((resolve, reject) => {
    const bytes = Buffer.from(data);
    randomFillSync(bytes, 4, 16);
    const upload = new Upload(bytes, {
      endpoint: args.endpoint,
      headers: args.token ? { Authorization: `Bearer ${args.token}` } : {},
      metadata: args.consent ? { consentId: args.consent, filename: 'bench.wav' } : { filename: 'bench.wav' },
      chunkSize: Infinity,
      retryDelays: [500, 1000, 2000],
      onShouldRetry: () => { retries += 1; return true; },
      onSuccess: () => resolve(),
      onError: (error) => reject(error),
    });
    upload.start();
  });
}

const peaks = { rssPeakMib: 0, heapPeakMib: 0 };
let jstat = null;
if (args.pid && args.jvm) {
  // Heap in use = survivor spaces + eden + old generation (KiB), every 100 ms; uploads start once it reports.
  jstat = spawn('jstat', ['-gc', args.pid, '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let columns = null;
  await new Promise((resolve) => createInterface({ input: jstat.stdout }).on('line', (text) => {
    const line = text.trim().split(/\s+/);
    if (line[0] === 'S0C') {
      columns = line;
    } else if (columns && line.length === columns.length) {
      const kib = ['S0U', 'S1U', 'EU', 'OU'].reduce((sum, c) => sum + Number(line[columns.indexOf(c)]), 0);
      peaks.heapPeakMib = Math.max(peaks.heapPeakMib, mib(kib * 1024));
      resolve();
    }
  }));
}
async function sample() {
  peaks.rssPeakMib = Math.max(peaks.rssPeakMib, Math.round(processFigures(args.pid).rssMib));
  if (args['node-memory']) {
    peaks.heapPeakMib = Math.max(peaks.heapPeakMib, mib((await (await fetch(args['node-memory'])).json()).heapUsed));
  }
}
let sampling = Promise.resolve();
const sampler = args.pid ? setInterval(() => { sampling = sampling.then(sample); }, 100) : null;

const cpuBefore = args.pid ? cpuSeconds(args.pid) : 0;
const jitBefore = args.pid && args.jvm ? compilerCpuSeconds(args.pid) : 0;
const storeBefore = args['store-pid'] ? cpuSeconds(args['store-pid']) : 0;
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: streams }, () => uploadOnce()));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const perGb = (cpu) => Number((cpu / (streams * size / 1e9)).toFixed(2));
const cpu = args.pid ? { cpuSecondsPerGb: perGb(cpuSeconds(args.pid) - cpuBefore) } : {};
if (args.pid && args.jvm) cpu.jitCpuSecondsPerGb = perGb(compilerCpuSeconds(args.pid) - jitBefore);
if (args['store-pid']) cpu.storeCpuSecondsPerGb = perGb(cpuSeconds(args['store-pid']) - storeBefore);
clearInterval(sampler);
await sampling;
jstat?.kill();
const bytes = streams * size;
console.log(JSON.stringify({ streams, size, bytes, seconds: Number(seconds.toFixed(3)),
  mbPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)), retries, ...(args.pid ? peaks : {}), ...cpu }));
