package io.sessionflow.common.crypto;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import io.sessionflow.common.io.BlockInputStream;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Encrypted objects in object storage: written part by part (multipart upload, each part its own
 * authenticated stream, see {@link PartLayout}) and read part by part or by plaintext range.
 * Plaintext lives only in the caller's memory; the store only ever sees ciphertext.
 */
public final class EncryptedObjects {
  /** Object metadata: plaintext bytes per part. Tampering with it only makes decryption fail. */
  public static final String PART_SIZE_METADATA = "sf-part-size";
  public static final String FORMAT_METADATA = "sf-format";
  private static final String FORMAT = "tink-gcm-hkdf-1mb-parts-v1";

  private final ObjectStore store;
  private final String bucket;

  public EncryptedObjects(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  public String bucket() {
    return bucket;
  }

  /** Starts a multipart upload; parts are then written in order with {@link EncryptedUpload#writePart}. */
  public CompletableFuture<EncryptedUpload> begin(DataKey key, String objectKey, String objectName, long partSize) {
    return store.createMultipartUpload(bucket, objectKey, metadata(partSize))
        .thenApply(uploadId -> new EncryptedUpload(key, objectKey, objectName, partSize, uploadId, List.of()));
  }

  /** Continues an upload whose id and finished parts were kept elsewhere (e.g. after a restart). */
  public EncryptedUpload resume(DataKey key, String objectKey, String objectName, long partSize, String uploadId,
      List<CompletedPart> parts) {
    return new EncryptedUpload(key, objectKey, objectName, partSize, uploadId, parts);
  }

  /** Writes a small object in one request, as a single last part. */
  public CompletableFuture<ObjectInfo> put(DataKey key, String objectKey, String objectName, byte[] plaintext) {
    long partSize = Math.max(1, plaintext.length);
    byte[] ciphertext = key.encryptPart(new PartBinding(key.recordingId(), objectName, 1, true), plaintext);
    return store.put(bucket, objectKey, ciphertext, metadata(partSize));
  }

  /** Opens an object for reading: one HEAD, then parts on demand. */
  public CompletableFuture<EncryptedObjectReader> open(DataKey key, String objectKey, String objectName) {
    return store.head(bucket, objectKey).thenApply(info -> {
      String partSize = info.metadata().get(PART_SIZE_METADATA);
      if (partSize == null || !partSize.matches("[0-9]{1,12}")) {
        throw new CryptoException("object " + objectKey + " has no valid " + PART_SIZE_METADATA, false, null);
      }
      return new EncryptedObjectReader(key, objectKey, objectName, new PartLayout(Long.parseLong(partSize)),
          info.size());
    });
  }

  public CompletableFuture<byte[]> readAll(DataKey key, String objectKey, String objectName) {
    return open(key, objectKey, objectName).thenCompose(reader -> reader.read(0, reader.plaintextSize()));
  }

  private static Map<String, String> metadata(long partSize) {
    return Map.of(PART_SIZE_METADATA, Long.toString(partSize), FORMAT_METADATA, FORMAT);
  }

  /** An encrypted multipart upload in progress. Not thread-safe: one writer at a time. */
  public final class EncryptedUpload {
    private final DataKey key;
    private final String objectKey;
    private final String objectName;
    private final long partSize;
    private final String uploadId;
    /** Stored parts, in part-number order (parts may be stored out of order when several are in flight). */
    private final List<CompletedPart> parts;
    private boolean lastWritten;
    /** The number the next encrypted part gets; only the one writer touches it. */
    private int nextPartNumber;

    EncryptedUpload(DataKey key, String objectKey, String objectName, long partSize, String uploadId,
        List<CompletedPart> parts) {
      this.key = key;
      this.objectKey = objectKey;
      this.objectName = objectName;
      this.partSize = partSize;
      this.uploadId = uploadId;
      this.parts = new ArrayList<>(parts);
      this.parts.sort(java.util.Comparator.comparingInt(CompletedPart::partNumber));
      this.nextPartNumber = parts.size() + 1;
    }

    public String uploadId() {
      return uploadId;
    }

    public String objectKey() {
      return objectKey;
    }

    public synchronized List<CompletedPart> parts() {
      return List.copyOf(parts);
    }

    /**
     * Encrypts and uploads the next part. Every part but the last must hold exactly the part
     * size; the last may hold less (or nothing, for an empty object).
     */
    public CompletableFuture<CompletedPart> writePart(byte[] plaintext, int length, boolean last) {
      try {
        return upload(encrypt(plaintext, length, last));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    /**
     * Encrypts the next part (CPU only; call off the event loop). The plaintext array is free
     * again when this returns, so a caller can refill it while {@link #upload} sends the part.
     */
    public EncryptedPart encrypt(byte[] plaintext, int length, boolean last) {
      return encrypt(plaintext, length, last, null, null);
    }

    /**
     * As {@link #encrypt(byte[], int, boolean)}, hashing the plaintext into {@code hash} in the same
     * pass when it is given, and writing a full part's ciphertext into {@code fullPartArray} when it
     * is given (an array of {@link PartLayout#fullPartCiphertextSize()} bytes the caller reuses once
     * the part is stored); a shorter last part gets an array of its own size.
     */
    public EncryptedPart encrypt(byte[] plaintext, int length, boolean last, MessageDigest hash,
        byte[] fullPartArray) {
      if (lastWritten) {
        throw new IllegalStateException("the last part was already written");
      }
      if (length > partSize || (!last && length != partSize)) {
        throw new IllegalArgumentException("part of " + length + " bytes; all parts but the last hold exactly "
            + partSize);
      }
      int partNumber = nextPartNumber;
      PartBinding binding = new PartBinding(key.recordingId(), objectName, partNumber, last);
      byte[] into = fullPartArray != null && fullPartArray.length == PartLayout.ciphertextSize(length)
          ? fullPartArray : null;
      byte[] ciphertext = into == null ? key.encryptPart(binding, plaintext, 0, length, hash)
          : key.encryptPart(binding, plaintext, 0, length, hash, into);
      nextPartNumber++;
      lastWritten = last;
      return new EncryptedPart(partNumber, ciphertext);
    }

    /**
     * Uploads an encrypted part. Several may be in flight at once; {@link #parts} lists those
     * stored in part-number order.
     */
    public CompletableFuture<CompletedPart> upload(EncryptedPart part) {
      return store.uploadPart(bucket, objectKey, uploadId, part.partNumber(), part.ciphertext()).thenApply(done -> {
        synchronized (this) {
          int at = 0;
          while (at < parts.size() && parts.get(at).partNumber() < done.partNumber()) {
            at++;
          }
          parts.add(at, done);
        }
        return done;
      });
    }

    public CompletableFuture<ObjectInfo> complete() {
      if (!lastWritten) {
        return CompletableFuture.failedFuture(new IllegalStateException("write the last part before completing"));
      }
      return store.completeMultipartUpload(bucket, objectKey, uploadId, parts());
    }

    public CompletableFuture<Void> abort() {
      return store.abortMultipartUpload(bucket, objectKey, uploadId);
    }
  }

  /** A part encrypted and not yet uploaded. */
  public record EncryptedPart(int partNumber, byte[] ciphertext) {
  }

  /** Ciphertext bytes {@code [start, end)} of an object, fetched lazily in 1 MiB ranged GETs. */
  private final class RangedInputStream extends BlockInputStream {
    private static final int RANGE = 1 << 20;
    private final String objectKey;
    private final long end;
    private long next;
    private byte[] current = new byte[0];
    private int position;

    RangedInputStream(String objectKey, long start, long end) {
      this.objectKey = objectKey;
      this.next = start;
      this.end = end;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      if (position == current.length) {
        if (next >= end) {
          return -1;
        }
        long size = Math.min(RANGE, end - next);
        try {
          current = store.getRange(bucket, objectKey, next, size).join();
        } catch (java.util.concurrent.CompletionException e) {
          // The cause (a StorageException) says whether a retry can help.
          throw new IOException("cannot read " + objectKey + " at " + next, Failures.unwrap(e));
        }
        next += size;
        position = 0;
      }
      int n = Math.min(length, current.length - position);
      System.arraycopy(current, position, into, offset, n);
      position += n;
      return n;
    }
  }

  /** Reads an encrypted object part by part; each part is fetched with one ranged GET and authenticated. */
  public final class EncryptedObjectReader {
    private final DataKey key;
    private final String objectKey;
    private final String objectName;
    private final PartLayout layout;
    private final long ciphertextSize;
    private final long plaintextSize;
    private final long partCount;

    EncryptedObjectReader(DataKey key, String objectKey, String objectName, PartLayout layout,
        long ciphertextSize) {
      this.key = key;
      this.objectKey = objectKey;
      this.objectName = objectName;
      this.layout = layout;
      this.ciphertextSize = ciphertextSize;
      this.plaintextSize = layout.plaintextSize(ciphertextSize);
      this.partCount = layout.partCount(plaintextSize);
    }

    public long plaintextSize() {
      return plaintextSize;
    }

    public long partCount() {
      return partCount;
    }

    public long partSize() {
      return layout.partSize();
    }

    /** Plaintext of part {@code index} (from 0). */
    public CompletableFuture<byte[]> readPart(long index) {
      if (index < 0 || index >= partCount) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("no part " + index));
      }
      long offset = index * layout.fullPartCiphertextSize();
      long length = Math.min(layout.fullPartCiphertextSize(), ciphertextSize - offset);
      boolean last = index == partCount - 1;
      PartBinding binding = new PartBinding(key.recordingId(), objectName, Math.toIntExact(index + 1), last);
      return store.getRange(bucket, objectKey, offset, length)
          .thenApply(ciphertext -> key.decryptPart(binding, ciphertext));
    }

    /**
     * Part {@code index} as a blocking stream: ciphertext is fetched in 1 MiB ranges and
     * authenticated segment by segment, so memory stays small whatever the part size. Read it on
     * a worker thread, never an event loop; a tampered part fails with an IOException.
     */
    public InputStream openPart(long index) {
      if (index < 0 || index >= partCount) {
        throw new IllegalArgumentException("no part " + index);
      }
      long offset = index * layout.fullPartCiphertextSize();
      long length = Math.min(layout.fullPartCiphertextSize(), ciphertextSize - offset);
      PartBinding binding = new PartBinding(key.recordingId(), objectName, Math.toIntExact(index + 1),
          index == partCount - 1);
      return key.decryptingStream(binding, new RangedInputStream(objectKey, offset, offset + length));
    }

    /**
     * The whole plaintext as a blocking stream that can seek: {@code skip} jumps to the part
     * that holds the target and {@code reset} returns to the mark, so a demuxer that needs random
     * access (an MP4 with its index at the end) reads straight from storage instead of buffering
     * the recording. Memory: one 1 MiB range and one segment. Read it on a worker thread.
     */
    public InputStream openStream() {
      return new SeekableStream();
    }

    /** Plaintext bytes {@code [offset, offset + length)}, fetching only the parts that hold them. */
    public CompletableFuture<byte[]> read(long offset, long length) {
      if (offset < 0 || length < 0 || offset + length > plaintextSize) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
            "range " + offset + "+" + length + " outside 0.." + plaintextSize));
      }
      if (length > Integer.MAX_VALUE - 16) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("range too large to read at once"));
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) length);
      if (length == 0) {
        // Still authenticate the object, so a tampered empty object does not read as empty.
        return readPart(partCount - 1).thenApply(ignored -> out.toByteArray());
      }
      long first = offset / layout.partSize();
      long lastIndex = (offset + length - 1) / layout.partSize();
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (long i = first; i <= lastIndex; i++) {
        long index = i;
        chain = chain.thenCompose(ignored -> readPart(index)).thenAccept(part -> {
          long partStart = index * layout.partSize();
          int from = (int) Math.max(0, offset - partStart);
          int to = (int) Math.min(part.length, offset + length - partStart);
          out.write(part, from, to - from);
        });
      }
      return chain.thenApply(ignored -> out.toByteArray());
    }

    /** See {@link #openStream()}. Not thread-safe. */
    private final class SeekableStream extends BlockInputStream {
      private long position;
      private long mark;
      private InputStream part;
      private long partIndex = -1;

      @Override
      public int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) {
          return 0;
        }
        if (position >= plaintextSize) {
          return -1;
        }
        long index = position / layout.partSize();
        if (part == null || partIndex != index) {
          closePart();
          part = openPart(index);
          partIndex = index;
          part.skipNBytes(position - index * layout.partSize());
        }
        int n = part.read(into, offset, (int) Math.min(length, plaintextSize - position));
        if (n < 0) {
          throw new IOException("part " + index + " ended early");
        }
        position += n;
        if (position % layout.partSize() == 0) {
          closePart();
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        long target = n <= 0 ? position : n >= plaintextSize - position ? plaintextSize : position + n;
        long skipped = target - position;
        if (part != null && target / layout.partSize() == partIndex && target % layout.partSize() != 0) {
          part.skipNBytes(skipped);
        } else {
          closePart();
        }
        position = target;
        return skipped;
      }

      @Override
      public boolean markSupported() {
        return true;
      }

      @Override
      public synchronized void mark(int readLimit) {
        mark = position;
      }

      @Override
      public synchronized void reset() throws IOException {
        closePart();
        position = mark;
      }

      @Override
      public int available() {
        return (int) Math.min(Integer.MAX_VALUE, plaintextSize - position);
      }

      @Override
      public void close() throws IOException {
        closePart();
      }

      private void closePart() throws IOException {
        if (part != null) {
          part.close();
          part = null;
          partIndex = -1;
        }
      }
    }
  }
}
