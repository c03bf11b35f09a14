package io.sessionflow.ingest.upload;

import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.storage.CompletedPart;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Streams one request body into an upload. Bytes fill a part buffer; a full buffer becomes an
 * encrypted part only once the next byte arrives, so the part that ends the upload is always
 * known to be the last one when it is encrypted. Encryption runs on the blocking pool; while a
 * part is being encrypted and stored, {@link #accept} says to pause the request (backpressure),
 * so one upload never holds more than its part buffer plus one network chunk.
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
  private final List<CompletedPart> parts;
  private final Deque<Buffer> pending = new ArrayDeque<>();
  private int pendingPosition;
  private int filled;
  private long received;
  private boolean flushing;
  private Throwable failure;
  private Promise<Void> whenDrained;

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
    this.parts = new ArrayList<>(upload.parts());
    System.arraycopy(tail, 0, buffer, 0, tail.length);
    this.filled = tail.length;
  }

  /** Takes a chunk; returns false when the caller should pause until {@link #drained} completes. */
  boolean accept(Buffer chunk) {
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
    return !flushing && pending.isEmpty();
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
    if (!flushing && pending.isEmpty()) {
      return Future.succeededFuture();
    }
    if (whenDrained == null) {
      whenDrained = Promise.promise();
    }
    return whenDrained.future();
  }

  /** Parts stored so far, including those written by this body. */
  List<CompletedPart> parts() {
    return List.copyOf(parts);
  }

  int filled() {
    return filled;
  }

  byte[] buffer() {
    return buffer;
  }

  /** Encrypts and stores what the buffer holds as the upload's last part. */
  Future<Void> writeLastPart() {
    return flush(true);
  }

  private void drain() {
    while (!flushing && failure == null && !pending.isEmpty()) {
      if (filled == buffer.length) {
        // A full buffer and at least one more byte: the buffer is not the last part.
        flush(false).onComplete(done -> drain());
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
    if (!flushing && (pending.isEmpty() || failure != null)) {
      if (whenDrained != null) {
        Promise<Void> drainedPromise = whenDrained;
        whenDrained = null;
        if (failure != null) {
          drainedPromise.fail(failure);
        } else {
          drainedPromise.complete();
        }
      }
    }
  }

  private Future<Void> flush(boolean last) {
    flushing = true;
    int length = filled;
    CompletableFuture<CompletedPart> stored = CompletableFuture
        .supplyAsync(() -> upload.writePart(buffer, length, last), blocking)
        .thenCompose(part -> part);
    return Future.fromCompletionStage(stored, context).transform(result -> {
      flushing = false;
      if (result.succeeded()) {
        parts.add(result.result());
        filled = 0;
        return Future.<Void>succeededFuture();
      }
      failure = result.cause();
      return Future.<Void>failedFuture(result.cause());
    });
  }
}
