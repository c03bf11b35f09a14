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

// Recorded speech (Debian's pocketsphinx-testdata, 16 kHz mono; .ci/run installs it), so that the
// transcriber's voice-activity model hears speech: its utterances in a seeded order, 0.3-1.2 s
// apart, under seeded noise at -60 dBFS so that no two recordings hash alike.
const SPEECH_DIR = process.env.SPEECH_DIR || '/usr/share/pocketsphinx/test/data';
const SPEECH_FILES = ['librivox/sense_and_sensibility_01_austen_64kb-0870.wav',
  'librivox/sense_and_sensibility_01_austen_64kb-0880.wav', 'librivox/sense_and_sensibility_01_austen_64kb-0890.wav',
  'librivox/sense_and_sensibility_01_austen_64kb-0920.wav', 'librivox/sense_and_sensibility_01_austen_64kb-0930.wav',
  'cards/001.wav', 'cards/002.wav', 'cards/003.wav', 'cards/004.wav', 'cards/005.wav', 'something.raw',
  'numbers.raw', 'goforward.raw', 'tidigits/dhd.2934z.raw'];
let utterances;

function speechSamples() {
  if (!utterances) {
    utterances = SPEECH_FILES.map((file) => {
      let bytes;
      try {
        bytes = readFileSync(`${SPEECH_DIR}/${file}`);
      } catch (e) {
        throw new Error(`no recorded speech in ${SPEECH_DIR}: apt-get install pocketsphinx-testdata (or set SPEECH_DIR)`);
      }
      let at = 0;
      if (file.endsWith('.wav')) {
        at = 12;
        while (bytes.toString('ascii', at, at + 4) !== 'data') at += 8 + bytes.readUInt32LE(at + 4);
        at += 8;
      }
      const samples = new Int16Array((bytes.length - at) >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(at + i * 2);
      return samples;
    });
  }
  return utterances;
}

export function wav(secs, seed) {
  const rate = 16000;
  const samples = rate * secs;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + samples * 2, 4); buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16); buf.writeUInt16LE(1, 20); buf.writeUInt16LE(1, 22); buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28); buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34); buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  let x = seed >>> 0;
  const random = () => { x = (x * 1664525 + 1013904223) >>> 0; return x / 2 ** 32; };
  const speech = new Int16Array(samples);
  const all = speechSamples();
  for (let at = Math.round(0.2 * rate); at < samples;) {
    const utterance = all[Math.floor(random() * all.length)];
    speech.set(utterance.subarray(0, Math.min(utterance.length, samples - at)), at);
    at += utterance.length + Math.round((0.3 + 0.9 * random()) * rate);
  }
  for (let i = 0; i < samples; i++) {
    const v = speech[i] + (random() - 0.5) * 110;
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v))), 44 + i * 2);
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

/** User + system CPU seconds a process has used so far, from /proc/PID/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid) {
  return cpuTicks(`/proc/${pid}/stat`) / 100;
}

/** User + system clock ticks in a /proc stat file (a process's or a thread's). */
function cpuTicks(statFile) {
  const fields = readFileSync(statFile, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU seconds a JVM's JIT compiler threads (C1 and C2 "CompilerThread"s) have used so far, from
 * /proc/PID/task/TID/stat; a thread that has exited takes its seconds with it (run the JVM with
 * -XX:-UseDynamicNumberOfCompilerThreads to keep them all).
 */
export function compilerCpuSeconds(pid) {
  let ticks = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (!readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').includes('CompilerThre')) continue;
      ticks += cpuTicks(`/proc/${pid}/task/${tid}/stat`);
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ESRCH') throw e; // the thread ended while we read it
    }
  }
  return ticks / 100;
}

export const mib = (bytes) => Math.round(bytes / 1048576 * 10) / 10;
