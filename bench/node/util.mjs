// Helpers shared by the bench scripts.
import { readdirSync, readFileSync } from 'node:fs';

/** `--name value` pairs of the command line as an object; a `--flag` without a value is true. */
export function options(argv = process.argv.slice(2)) {
  return Object.fromEntries(argv.reduce((pairs, arg, i) => {
    const value = argv[i + 1];
    if (arg.startsWith('--')) pairs.push([arg.slice(2), value === undefined || value.startsWith('--') ? true : value]);
    return pairs;
  }, []));
}

// A generated mono 16 kHz WAV: tones that change every second under a little seeded noise,
// different for every seed, so no two recordings hash alike.
export function wav(secs, seed) {
  const rate = 16000;
  const samples = rate * secs;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + samples * 2, 4); buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22); buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34); buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  let x = seed >>> 0;
  for (let i = 0; i < samples; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    const hz = 220 + 110 * (Math.floor(i / rate) % 4);
    const v = 6000 * Math.sin(2 * Math.PI * hz * i / rate) + ((x / 2 ** 32) - 0.5) * 1600;
    buf.writeInt16LE(Math.round(v), 44 + i * 2);
  }
  return buf;
}

/** The text of a Sessionflow /metrics page (on the public port it needs an ops token). */
export async function metricsText(base, opsToken) {
  const response = await fetch(`${base}/metrics`, { headers: opsToken ? { Authorization: `Bearer ${opsToken}` } : {} });
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}; pass an ops token`);
  return response.text();
}

/** Heap in use of a Sessionflow JVM, in bytes: the sum of its heap pools on /metrics. */
export async function jvmHeapUsed(base, opsToken) {
  const text = await metricsText(base, opsToken);
  return text.split('\n').filter((l) => l.startsWith('jvm_memory_used_bytes{') && l.includes('area="heap"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** Resident memory (MiB), threads and open file descriptors of a process, from /proc. */
export function processFigures(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)[1]);
  return { rssMib: Math.round(field('VmRSS') / 102.4) / 10, threads: field('Threads'),
    fds: readdirSync(`/proc/${pid}/fd`).length };
}

export const mib = (bytes) => Math.round(bytes / 1048576 * 10) / 10;
