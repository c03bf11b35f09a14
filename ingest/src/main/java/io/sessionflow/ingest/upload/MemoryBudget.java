package io.sessionflow.ingest.upload;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A process-wide cap on the bytes that upload buffers may hold. An upload asks for its part
 * buffer before it reads a byte; when the budget is spent the request stays paused (the client
 * is slowed by TCP backpressure) until another upload hands its buffer back, in arrival order.
 */
public final class MemoryBudget {
  private final long capacity;
  private long used;
  private long peak;
  private final Deque<Waiter> waiting = new ArrayDeque<>();

  public MemoryBudget(long capacity, MeterRegistry registry) {
    this.capacity = capacity;
    Gauge.builder("sessionflow.upload.buffer.bytes", this, MemoryBudget::used)
        .description("Bytes held by upload part buffers").baseUnit("bytes").register(registry);
    Gauge.builder("sessionflow.upload.buffer.peak.bytes", this, MemoryBudget::peak)
        .description("Most bytes upload part buffers ever held at once").register(registry);
    Gauge.builder("sessionflow.upload.buffer.waiting", this, b -> b.waitingCount())
        .description("Uploads paused until buffer memory frees up").register(registry);
  }

  public synchronized long used() {
    return used;
  }

  public synchronized long peak() {
    return peak;
  }

  private synchronized int waitingCount() {
    return waiting.size();
  }

  /** Completes once {@code bytes} are reserved; a request larger than the whole budget fails at once. */
  public Future<Lease> acquire(long bytes) {
    if (bytes > capacity) {
      return Future.failedFuture(new IllegalArgumentException("an upload buffer of " + bytes
          + " bytes exceeds the whole memory budget of " + capacity));
    }
    Promise<Lease> promise = Promise.promise();
    synchronized (this) {
      if (waiting.isEmpty() && used + bytes <= capacity) {
        used += bytes;
        peak = Math.max(peak, used);
      } else {
        waiting.add(new Waiter(bytes, promise));
        return promise.future();
      }
    }
    promise.complete(new Lease(bytes));
    return promise.future();
  }

  private void release(long bytes) {
    Deque<Waiter> ready = new ArrayDeque<>();
    synchronized (this) {
      used -= bytes;
      while (!waiting.isEmpty() && used + waiting.peek().bytes() <= capacity) {
        Waiter next = waiting.poll();
        used += next.bytes();
        peak = Math.max(peak, used);
        ready.add(next);
      }
    }
    ready.forEach(w -> w.promise().complete(new Lease(w.bytes())));
  }

  private record Waiter(long bytes, Promise<Lease> promise) {
  }

  /** Reserved bytes; give them back exactly once. */
  public final class Lease implements AutoCloseable {
    private final long bytes;
    private boolean released;

    private Lease(long bytes) {
      this.bytes = bytes;
    }

    @Override
    public void close() {
      synchronized (this) {
        if (released) {
          return;
        }
        released = true;
      }
      release(bytes);
    }
  }
}
