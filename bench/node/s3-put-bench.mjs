// The ceiling for an upload server in front of S3: the same bytes PUT straight from memory to the
// same S3 endpoint, STREAMS objects of SIZE bytes at once, with the AWS SDK for JavaScript.
// Usage: node s3-put-bench.mjs --endpoint URL --access-key K --secret-key S --bucket B --streams N --size BYTES
import { randomFillSync } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { options } from './util.mjs';

const args = options();
const streams = Number(args.streams || 1);
const size = Number(args.size || 64 * 1024 * 1024);
const data = randomFillSync(Buffer.alloc(size));
const s3 = new S3Client({ region: 'us-east-1', endpoint: args.endpoint, forcePathStyle: true,
  credentials: { accessKeyId: args['access-key'], secretAccessKey: args['secret-key'] },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });

const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: streams }, (_, i) => s3.send(new PutObjectCommand({ Bucket: args.bucket,
  Key: `ceiling/${Date.now()}-${i}`, Body: data, ContentLength: size }))));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const bytes = streams * size;
console.log(JSON.stringify({ streams, size, bytes, seconds: Number(seconds.toFixed(3)),
  mbPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)) }));
