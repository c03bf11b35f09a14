// Uploads several files at once with tus-js-client and keeps retrying through server outages,
// the way therapists' apps do when the service restarts under them.
// Usage: node tus-many.mjs --endpoint URL --token JWT --consent ID --chunk-size BYTES FILE...
// Prints JSON lines: {"progress": i, "sent": bytes} as chunks are acknowledged, then
// {"results": [{"file": ..., "url": ..., "done": true|false, "error": ...}, ...]}.
import { readFileSync } from 'node:fs';
import { Upload } from 'tus-js-client';

const argv = process.argv.slice(2);
const opts = {};
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith('--')) opts[argv[i].slice(2)] = argv[++i];
  else files.push(argv[i]);
}
// About a minute and a half of retries: long enough for a restart, bounded so the test ends.
const retryDelays = [500, 1000, 2000, 3000, 5000, 5000, 5000, 5000, 10000, 10000, 10000, 10000, 10000, 10000];

const uploads = files.map((file, i) => new Promise((resolve) => {
  const upload = new Upload(readFileSync(file), {
    endpoint: opts.endpoint,
    headers: { Authorization: `Bearer ${opts.token}` },
    metadata: { consentId: opts.consent, filename: `upload-${i}.wav`, filetype: 'audio/wav' },
    chunkSize: Number(opts['chunk-size']),
    retryDelays,
    removeFingerprintOnSuccess: true,
    onChunkComplete: (chunk, sent) => console.log(JSON.stringify({ progress: i, sent })),
    onSuccess: () => resolve({ file, url: upload.url, done: true }),
    onError: (error) => resolve({ file, url: upload.url, done: false, error: String(error.message).slice(0, 200) }),
  });
  upload.start();
}));
console.log(JSON.stringify({ results: await Promise.all(uploads) }));
