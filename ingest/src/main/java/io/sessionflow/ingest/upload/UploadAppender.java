package io.sessionflow.ingest.upload;

import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.PartLayout;
import io.sessionflow.common.storage.CompletedPart;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Streams one request body into an upload. Bytes fill a part buffer; a full buffer becomes an
 * encrypted part only once the next byte arrives, so the part that ends the upload is always
 * known to be the last one when it is encrypted. Encryption runs on the blocking pool, hashes the
 * recording in the same pass, and frees the buffer at once; the encrypted part is then sent while
 * the buffer fills again. Up to {@link #MOST_PARTS_IN_FLIGHT} parts are sent at once: the first
 * under the upload's own lease, each further one only while the {@link MemoryBudget} can spare its
 * ciphertext without delaying anyone (see {@link MemoryBudget#tryAcquire}), so a single fast upload
 * is not bound by one round trip per part, and many uploads at once cost no more memory than
 * before. While encryption runs, or the buffer is full again before another part may go,
 * {@link #accept} says to pause the request until {@link #writable} (backpressure): reading the
 * body goes on while parts are in flight. Once a part failed, no further part is sent.
 *
 * <p>Confined to the request's Vert.x context.
 */
final class UploadAppender {
  /** Parts of one upload sent at once, at most (the peer, @tus/s3-store, sends up to 60). */
  static final int MOST_PARTS_IN_FLIGHT = 4;
  private final Context context;
  private final Executor blocking;
  private final EncryptedObjects.EncryptedUpload upload;
  private final int partSize;
  /** The part buffer: its first {@code partSize} bytes (a pooled array may be longer). */
  private final byte[] buffer;
  private final long limit;
  private final MessageDigest checksum;
  private final PartBuffers arrays;
  private final Supplier<MemoryBudget.Lease> spareMemory;
  private final int fullCiphertextSize;
  private MessageDigest wholeHash;
  private byte[] head;
  private final Deque<Buffer> pending = new ArrayDeque<>();
  private int pendingPosition;
  private int filled;
  private long received;
  private boolean encrypting;
  private int uploading;
  /** Whether the ciphertext the upload's own lease covers is taken (by a part encrypting or in flight). */
  private boolean ownSlotTaken;
  private Throwable failure;
  private Promise<Void> whenDrained;
  private Promise<Void> whenWritable;
  private Promise<Void> whenQuiet;
  private boolean sealed;
  private boolean finished;

  /**
   * @param partSize plaintext bytes of every part but the last
   * @param arrays   where the part buffer and full parts' ciphertext arrays come from and go back to
   * @param tail     bytes already received past the last full part
   * @param limit    most bytes this body may carry (the rest of the declared length), or -1
   * @param checksum digest of this body for the checksum extension, or null
   * @param spareMemory a lease for one more part's ciphertext in flight, or null when none is spare now
   */
  UploadAppender(Context context, Executor blocking, EncryptedObjects.EncryptedUpload upload, int partSize,
      PartBuffers arrays, byte[] tail, long limit, MessageDigest checksum, Supplier<MemoryBudget.Lease> spareMemory) {
    this.context = context;
    this.blocking = blocking;
    this.upload = upload;
    this.partSize = partSize;
    this.limit = limit;
    this.checksum = checksum;
    this.arrays = arrays;
    this.spareMemory = spareMemory;
    this.fullCiphertextSize = (int) PartLayout.ciphertextSize(partSize);
    this.buffer = fullCiphertextSize == arrays.arraySize() ? arrays.take() : new byte[partSize];
    System.arraycopy(tail, 0, buffer, 0, tail.length);
    this.filled = tail.length;
  }

  /** Takes a chunk; returns false when the caller should pause until {@link #writable} completes. */
  boolean accept(Buffer chunk) {
    if (sealed) {
      return true; // the request already ended: what still trickles in is not this body's to keep
    }
    if (failure != null) {
      return false;
    }
    received += chunk.length();
    if (limit >= 0 && received > limit) {
      fail(new UploadException(UploadException.Kind.TOO_LARGE,
          "the request body goes past the upload's declared length"));
      return false;
    }
    pending.add(chunk);
    drain();
    return !encrypting && pending.isEmpty();
  }

  /**
   * Hashes the plaintext of every part as it is encrypted (on the worker, in part order). Only
   * meaningful when this body carries the upload from its first byte: then the finished recording
   * needs no read-back to be hashed.
   */
  void hashWhole(MessageDigest digest) {
    this.wholeHash = digest;
  }

  MessageDigest wholeHash() {
    return wholeHash;
  }

  /** The recording's first bytes, as seen by the first part encrypted. */
  byte[] head() {
    return head;
  }

  long received() {
    return received;
  }

  byte[] checksumValue() {
    return checksum == null ? null : checksum.digest();
  }

  Throwable failure() {
    return failure;
  }

  /** Completes when every accepted byte is in a stored part or in the buffer. */
  Future<Void> drained() {
    if (failure != null) {
      return Future.failedFuture(failure);
    }
    if (isIdle()) {
      return Future.succeededFuture();
    }
    if (whenDrained == null) {
      whenDrained = Promise.promise();
    }
    return whenDrained.future();
  }

  /**
   * Completes when every accepted byte is in the buffer or on its way to the store, so the body may
   * be read on (parts may still be in flight); fails once the body failed.
   */
  Future<Void> writable() {
    if (failure != null) {
      return Future.failedFuture(failure);
    }
    if (!encrypting && pending.isEmpty()) {
      return Future.succeededFuture();
    }
    if (whenWritable == null) {
      whenWritable = Promise.promise();
    }
    return whenWritable.future();
  }

  private boolean isIdle() {
    return !encrypting && uploading == 0 && pending.isEmpty();
  }

  /**
   * Once no encryption runs and no part is in flight, failed or not, gives the part buffer back
   * to the pool (an encryption still running reads it) and completes; call it once, when the body
   * is done with. Only then may the upload's memory lease go.
   */
  Future<Void> finish() {
    Future<Void> quiet;
    if (!encrypting && uploading == 0) {
      quiet = Future.succeededFuture();
    } else {
      if (whenQuiet == null) {
        whenQuiet = Promise.promise();
      }
      quiet = whenQuiet.future();
    }
    return quiet.andThen(done -> {
      if (!finished) {
        finished = true;
        arrays.give(buffer);
      }
    });
  }

  /** Parts stored so far, including those written by this body (complete once {@link #drained}). */
  List<CompletedPart> parts() {
    return upload.parts();
  }

  int filled() {
    return filled;
  }

  /**
   * Takes no more chunks: called when the request failed, so bytes a paused stream still
   * delivers on resume cannot change the tail after the upload's state was computed from it.
   */
  void seal() {
    sealed = true;
  }

  /** The part buffer; its first {@link #filled} bytes are this upload's. */
  byte[] buffer() {
    return buffer;
  }

  /** Encrypts and stores what the buffer holds as the upload's last part. */
  Future<Void> writeLastPart() {
    return drained().compose(ignored -> encrypt(true, null)).compose(ignored -> drained());
  }

  private void drain() {
    while (!encrypting && failure == null && !pending.isEmpty()) {
      if (filled == partSize) {
        // A full buffer and at least one more byte: the buffer is not the last part. It goes once a
        // part may be in flight: the upload's own, or another the budget can spare.
        MemoryBudget.Lease spare = null;
        if (ownSlotTaken && (uploading >= MOST_PARTS_IN_FLIGHT || (spare = spareMemory.get()) == null)) {
          break; // a part stored drains again
        }
        encrypt(false, spare).onComplete(done -> drain());
        return;
      }
      Buffer chunk = pending.peek();
      int take = Math.min(partSize - filled, chunk.length() - pendingPosition);
      chunk.getBytes(pendingPosition, pendingPosition + take, buffer, filled);
      if (checksum != null) {
        checksum.update(buffer, filled, take); // from the part buffer: no copy of its own
      }
      filled += take;
      pendingPosition += take;
      if (pendingPosition == chunk.length()) {
        pending.poll();
        pendingPosition = 0;
      }
    }
    signal();
  }

  private void fail(Throwable cause) {
    if (failure == null) {
      failure = cause;
    }
    signal();
  }

  /** Completes whoever waits for what is now true. */
  private void signal() {
    if (whenQuiet != null && !encrypting && uploading == 0) {
      Promise<Void> quietPromise = whenQuiet;
      whenQuiet = null;
      quietPromise.complete();
    }
    if (whenWritable != null && (failure != null || (!encrypting && pending.isEmpty()))) {
      Promise<Void> writablePromise = whenWritable;
      whenWritable = null;
      complete(writablePromise);
    }
    if (whenDrained != null && (failure != null || isIdle())) {
      Promise<Void> drainedPromise = whenDrained;
      whenDrained = null;
      complete(drainedPromise);
    }
  }

  private void complete(Promise<Void> promise) {
    if (failure != null) {
      promise.fail(failure);
    } else {
      promise.complete();
    }
  }

  /**
   * Encrypts the buffer (freeing it; hashing it on the way when the whole recording is hashed) and
   * sends the new part; {@code spare} is the lease of its ciphertext when it is not the upload's own.
   */
  private Future<Void> encrypt(boolean last, MemoryBudget.Lease spare) {
    encrypting = true;
    ownSlotTaken |= spare == null;
    int length = filled;
    byte[] ciphertextArray = last || fullCiphertextSize != arrays.arraySize() ? null : arrays.take();
    CompletableFuture<EncryptedObjects.EncryptedPart> encrypted;
    try {
      encrypted = CompletableFuture.supplyAsync(() -> {
        if (head == null) {
          head = java.util.Arrays.copyOf(buffer, Math.min(length, AudioSniffer.HEAD_BYTES));
        }
        return upload.encrypt(buffer, length, last, wholeHash, ciphertextArray);
      }, blocking);
    } catch (RuntimeException e) { // the pool refused the work (shutting down)
      encrypted = CompletableFuture.failedFuture(e);
    }
    return Future.fromCompletionStage(encrypted, context).transform(result -> {
      encrypting = false;
      if (result.failed() || failure != null) {
        // Failed, or the body failed meanwhile (another part, too many bytes): this part is not sent.
        free(spare);
        arrays.give(ciphertextArray);
        fail(result.failed() ? result.cause() : failure);
        return Future.<Void>failedFuture(failure);
      }
      filled = 0;
      uploading++;
      EncryptedObjects.EncryptedPart part = result.result();
      CompletableFuture<?> sent;
      try {
        sent = upload.upload(part);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete((stored, error) -> context.runOnContext(v -> {
        uploading--;
        free(spare);
        // Only a stored part's array is reused: after a failure the HTTP client may still read it.
        if (error == null && part.ciphertext() == ciphertextArray) {
          arrays.give(ciphertextArray);
        }
        if (error != null) {
          fail(error);
        }
        drain();
      }));
      return Future.<Void>succeededFuture();
    });
  }

  /** Gives back the slot a part's ciphertext took: its spare lease, or the upload's own. */
  private void free(MemoryBudget.Lease spare) {
    if (spare != null) {
      spare.close();
    } else {
      ownSlotTaken = false;
    }
  }
}
