// Uploads STREAMS recordings of SIZE bytes at once with tus-js-client and prints one JSON line.
// Usage: node tus-bench.mjs --endpoint URL --streams N --size BYTES [--token JWT] [--consent ID]
import { randomFillSync } from 'node:crypto';
import { Upload } from 'tus-js-client';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
  return pairs;
}, []));
const streams = Number(args.streams || 1);
const size = Number(args.size || 64 * 1024 * 1024);
const data = randomFillSync(Buffer.alloc(size));
data.write('RIFF', 0);

function uploadOnce() {
  return new Promise((resolve, reject) => {
    const upload = new Upload(data, {
      endpoint: args.endpoint,
      headers: args.token ? { Authorization: `Bearer ${args.token}` } : {},
      metadata: args.consent ? { consentId: args.consent, filename: 'bench.wav' } : { filename: 'bench.wav' },
      chunkSize: Infinity,
      retryDelays: [500, 1000, 2000],
      onSuccess: () => resolve(),
      onError: (error) => reject(error),
    });
    upload.start();
  });
}

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: streams }, () => uploadOnce()));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const bytes = streams * size;
console.log(JSON.stringify({ streams, size, bytes, seconds: Number(seconds.toFixed(3)),
  mbPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)) }));
