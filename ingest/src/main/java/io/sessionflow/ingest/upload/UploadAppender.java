package io.sessionflow.ingest.upload;

import io.sessionflow.common.crypto.EncryptedObjects;
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

/**
 * Streams one request body into an upload. Bytes fill a part buffer; a full buffer becomes an
 * encrypted part only once the next byte arrives, so the part that ends the upload is always
 * known to be the last one when it is encrypted. Encryption runs on the blocking pool and frees
 * the buffer at once; the encrypted part is then sent while the buffer fills again, one part in
 * flight at most. While encryption runs, or a second part is ready before the first is stored,
 * {@link #accept} says to pause the request (backpressure): an upload holds one plaintext buffer
 * and one ciphertext at most, plus one network chunk.
 *
 * <p>Confined to the request's Vert.x context.
 */
final class UploadAppender {
  private final Context context;
  private final Executor blocking;
  private final EncryptedObjects.EncryptedUpload upload;
  private final byte[] buffer;
  private final long limit;
  private final MessageDigest checksum;
  private MessageDigest wholeHash;
  private byte[] head;
  private final Deque<Buffer> pending = new ArrayDeque<>();
  private int pendingPosition;
  private int filled;
  private long received;
  private boolean encrypting;
  private CompletableFuture<CompletedPart> inFlight = CompletableFuture.completedFuture(null);
  private boolean uploading;
  private Throwable failure;
  private Promise<Void> whenDrained;
  private boolean sealed;

  /**
   * @param tail     bytes already received past the last full part
   * @param limit    most bytes this body may carry (the rest of the declared length), or -1
   * @param checksum digest of this body for the checksum extension, or null
   */
  UploadAppender(Context context, Executor blocking, EncryptedObjects.EncryptedUpload upload, byte[] buffer,
      byte[] tail, long limit, MessageDigest checksum) {
    this.context = context;
    this.blocking = blocking;
    this.upload = upload;
    this.buffer = buffer;
    this.limit = limit;
    this.checksum = checksum;
    System.arraycopy(tail, 0, buffer, 0, tail.length);
    this.filled = tail.length;
  }

  /** Takes a chunk; returns false when the caller should pause until {@link #drained} completes. */
  boolean accept(Buffer chunk) {
    if (sealed) {
      return true; // the request already ended: what still trickles in is not this body's to keep
    }
    if (failure != null) {
      return false;
    }
    received += chunk.length();
    if (limit >= 0 && received > limit) {
      failure = new UploadException(UploadException.Kind.TOO_LARGE,
          "the request body goes past the upload's declared length");
      return false;
    }
    if (checksum != null) {
      checksum.update(chunk.getBytes());
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

  private boolean isIdle() {
    return !encrypting && !uploading && pending.isEmpty();
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

  byte[] buffer() {
    return buffer;
  }

  /** Encrypts and stores what the buffer holds as the upload's last part. */
  Future<Void> writeLastPart() {
    return drained().compose(ignored -> encrypt(true)).compose(ignored -> drained());
  }

  private void drain() {
    while (!encrypting && failure == null && !pending.isEmpty()) {
      if (filled == buffer.length) {
        // A full buffer and at least one more byte: the buffer is not the last part.
        encrypt(false).onComplete(done -> drain());
        return;
      }
      Buffer chunk = pending.peek();
      int take = Math.min(buffer.length - filled, chunk.length() - pendingPosition);
      chunk.getBytes(pendingPosition, pendingPosition + take, buffer, filled);
      filled += take;
      pendingPosition += take;
      if (pendingPosition == chunk.length()) {
        pending.poll();
        pendingPosition = 0;
      }
    }
    signalIfDrained();
  }

  private void signalIfDrained() {
    if (whenDrained != null && (failure != null || isIdle())) {
      Promise<Void> drainedPromise = whenDrained;
      whenDrained = null;
      if (failure != null) {
        drainedPromise.fail(failure);
      } else {
        drainedPromise.complete();
      }
    }
  }

  /** Waits for the part in flight, encrypts the buffer (freeing it), and sends the new part. */
  private Future<Void> encrypt(boolean last) {
    encrypting = true;
    int length = filled;
    CompletableFuture<EncryptedObjects.EncryptedPart> encrypted = inFlight
        .thenApplyAsync(previous -> {
          if (wholeHash != null) {
            wholeHash.update(buffer, 0, length);
          }
          if (head == null) {
            head = java.util.Arrays.copyOf(buffer, Math.min(length, AudioSniffer.HEAD_BYTES));
          }
          return upload.encrypt(buffer, length, last);
        }, blocking);
    return Future.fromCompletionStage(encrypted, context).transform(result -> {
      encrypting = false;
      if (result.failed()) {
        failure = failure == null ? result.cause() : failure;
        signalIfDrained();
        return Future.<Void>failedFuture(failure);
      }
      filled = 0;
      uploading = true;
      inFlight = upload.upload(result.result());
      inFlight.whenComplete((part, error) -> context.runOnContext(v -> {
        uploading = !inFlight.isDone();
        if (error != null && failure == null) {
          failure = error;
        }
        drain();
      }));
      return Future.<Void>succeededFuture();
    });
  }
}
