// The peer: @tus/server with @tus/s3-store, writing to the same S3 endpoint Sessionflow uses.
// Env: PORT, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, PART_SIZE
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { Server } from '@tus/server';
import { S3Store } from '@tus/s3-store';

const store = new S3Store({
  partSize: Number(process.env.PART_SIZE || 8 * 1024 * 1024),
  s3ClientConfig: {
    bucket: process.env.S3_BUCKET,
    region: 'us-east-1',
    endpoint: process.env.S3_ENDPOINT,
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.S3_ACCESS_KEY, secretAccessKey: process.env.S3_SECRET_KEY },
    // Like Sessionflow's client: checksums only where S3 requires them (S3Proxy rejects trailing ones).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
});
const server = new Server({ path: '/files', datastore: store });
// GET /memory: this process's memory, for the bench's sampler. POST /profile/start and
// /profile/stop?file=PATH: V8's sampling CPU profiler (1 ms) over the main thread, for bench/upload-profile.sh.
const profiler = new Session();
profiler.connect();
async function profile(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/profile/start') {
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
    await profiler.post('Profiler.start');
  } else {
    const { profile: taken } = await profiler.post('Profiler.stop');
    writeFileSync(url.searchParams.get('file'), JSON.stringify(taken));
  }
  res.end('ok');
}
http.createServer((req, res) => (req.url === '/memory' ? res.end(JSON.stringify(process.memoryUsage()))
  : req.url.startsWith('/profile/') ? profile(req, res) : server.handle(req, res))).listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`tus-s3 listening on ${process.env.PORT}`);
});
