package io.sessionflow.ingest.imports;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import io.sessionflow.common.io.BlockInputStream;
import java.io.InputStream;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A request body as a blocking {@link InputStream} for a worker thread (archive readers are
 * blocking). The request is paused whenever more than {@code highWater} bytes wait unread, so a
 * fast client cannot fill memory; it resumes once the reader has caught up.
 */
final class RequestInputStream extends BlockInputStream {
  private static final Buffer END = Buffer.buffer();
  private final LinkedBlockingDeque<Buffer> queue = new LinkedBlockingDeque<>();
  private final AtomicLong queued = new AtomicLong();
  private final long highWater;
  private final java.time.Duration idleTimeout;
  private final ReadStream<Buffer> body;
  private final Context context;
  private volatile boolean paused;
  private volatile Throwable failure;
  private Buffer current;
  private int position;
  private boolean ended;
  private long read;

  RequestInputStream(ReadStream<Buffer> body, Future<Void> ended, Context context, long highWater,
      java.time.Duration idleTimeout) {
    this.body = body;
    this.idleTimeout = idleTimeout;
    this.context = context;
    this.highWater = highWater;
    body.handler(chunk -> {
      queue.add(chunk);
      if (queued.addAndGet(chunk.length()) > highWater && !paused) {
        paused = true;
        body.pause();
      }
    });
    ended.onComplete(end -> {
      failure = end.cause();
      queue.add(END);
    });
  }

  void start() {
    context.runOnContext(v -> body.resume());
  }

  /** Compressed bytes read so far (for the compression-ratio limit). */
  long bytesRead() {
    return read;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (current == null || position == current.length()) {
      if (ended) {
        return -1;
      }
      try {
        Buffer next = queue.poll(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (next == null) {
          throw new IdleTimeout(idleTimeout);
        }
        if (next == END) {
          ended = true;
          if (failure != null) {
            throw new IOException("the connection closed before the archive ended");
          }
          return -1;
        }
        current = next;
        position = 0;
        if (queued.addAndGet(-next.length()) < highWater / 2 && paused) {
          paused = false;
          context.runOnContext(v -> body.resume());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
    int n = Math.min(length, current.length() - position);
    current.getBytes(position, position + n, into, offset);
    position += n;
    read += n;
    return n;
  }

  /** The client sent nothing for the idle timeout. */
  static final class IdleTimeout extends IOException {
    private static final long serialVersionUID = 1L;
    private final java.time.Duration after;

    IdleTimeout(java.time.Duration after) {
      super("the client sent nothing for " + after.toSeconds() + "s");
      this.after = after;
    }

    java.time.Duration after() {
      return after;
    }
  }
}
