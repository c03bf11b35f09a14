// The ceiling for an upload server in front of S3: the same bytes PUT straight from memory to the
// same S3 endpoint, STREAMS objects of SIZE bytes at once, with the AWS SDK for JavaScript.
// With --part-size BYTES each object is a multipart upload instead (the way an upload server in front of S3
// must write a recording it receives as a stream): parts of that size, up to 4 of an object in flight at once.
// --store-pid PID adds the store process's CPU seconds per GB, from /proc.
// Usage: node s3-put-bench.mjs --endpoint URL --access-key K --secret-key S --bucket B --streams N --size BYTES
//          [--part-size BYTES] [--store-pid PID]
import { randomFillSync } from 'node:crypto';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client,
  UploadPartCommand } from '@aws-sdk/client-s3';
import { cpuSeconds, options } from './util.mjs';

const args = options();
const streams = Number(args.streams || 1);
const size = Number(args.size || 64 * 1024 * 1024);
const data = randomFillSync(Buffer.alloc(size));
const s3 = new S3Client({ region: 'us-east-1', endpoint: args.endpoint, forcePathStyle: true,
  credentials: { accessKeyId: args['access-key'], secretAccessKey: args['secret-key'] },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });

const partSize = args['part-size'] ? Number(args['part-size']) : 0;

async function multipart(key) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: args.bucket, Key: key }));
  const starts = Array.from({ length: Math.ceil(size / partSize) }, (_, i) => i * partSize);
  const parts = [];
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const index = next++;
      const body = data.subarray(starts[index], Math.min(size, starts[index] + partSize));
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: args.bucket, Key: key, UploadId,
        PartNumber: index + 1, Body: body, ContentLength: body.length }));
      parts[index] = { ETag, PartNumber: index + 1 };
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: args.bucket, Key: key, UploadId,
    MultipartUpload: { Parts: parts } }));
}

const storeBefore = args['store-pid'] ? cpuSeconds(args['store-pid']) : 0;
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: streams }, (_, i) => (partSize ? multipart(`ceiling/${Date.now()}-${i}`)
  : s3.send(new PutObjectCommand({ Bucket: args.bucket, Key: `ceiling/${Date.now()}-${i}`, Body: data,
    ContentLength: size })))));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const bytes = streams * size;
const store = args['store-pid']
  ? { storeCpuSecondsPerGb: Number(((cpuSeconds(args['store-pid']) - storeBefore) / (bytes / 1e9)).toFixed(2)) } : {};
console.log(JSON.stringify({ streams, size, bytes, seconds: Number(seconds.toFixed(3)),
  mbPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)), ...store }));
