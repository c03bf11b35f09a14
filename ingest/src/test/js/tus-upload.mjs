// Uploads one file with tus-js-client, the way a therapist's web app would.
// Usage: node tus-upload.mjs --endpoint URL --token JWT --file PATH [--consent ID]
//          [--resume-url URL] [--stop-after BYTES] [--parallel N] [--chunk-size BYTES] [--filename NAME]
//          [--retry-delays MS,MS,...]
// Prints one JSON line: {"url": ..., "sent": ..., "done": true|false}
import { readFileSync } from 'node:fs';
import { Upload } from 'tus-js-client';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
  return pairs;
}, []));

const data = readFileSync(args.file);
const stopAfter = args['stop-after'] ? Number(args['stop-after']) : Infinity;
const parallel = args.parallel ? Number(args.parallel) : 1;

const options = {
  endpoint: args.endpoint,
  uploadUrl: args['resume-url'] || null,
  headers: { Authorization: `Bearer ${args.token}` },
  metadata: args.consent
    ? { consentId: args.consent, filename: args.filename || 'session.wav', filetype: 'audio/wav' } : {},
  retryDelays: args['retry-delays'] ? args['retry-delays'].split(',').map(Number) : [200, 500, 1000, 2000],
  removeFingerprintOnSuccess: true,
};
if (args['chunk-size']) options.chunkSize = Number(args['chunk-size']);
if (parallel > 1) options.parallelUploads = parallel;

const result = await new Promise((resolve, reject) => {
  let upload;
  let stopped = false;
  options.onProgress = (sent) => {
    if (!stopped && sent >= stopAfter) {
      stopped = true;
      // Abort mid-request: the server sees the connection drop in the middle of a PATCH body.
      upload.abort(false).then(() => resolve({ url: upload.url, sent, done: false }));
    }
  };
  options.onSuccess = () => resolve({ url: upload.url, sent: data.length, done: true });
  options.onError = (error) => reject(error);
  upload = new Upload(data, options);
  upload.start();
});
console.log(JSON.stringify(result));
