package io.sessionflow.common.kafka.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/** A semaphore whose waiters are callbacks, not threads: waiting for a place never blocks anyone. */
final class AsyncPermits {
  private final Deque<MonoSink<AsyncPermits>> waiting = new ArrayDeque<>();
  private int available;

  AsyncPermits(int permits) {
    this.available = permits;
  }

  Mono<AsyncPermits> acquire() {
    return Mono.create(sink -> {
      boolean granted;
      synchronized (this) {
        granted = available > 0;
        if (granted) {
          available--;
        } else {
          waiting.add(sink);
        }
      }
      if (granted) {
        sink.success(this);
      } else {
        sink.onCancel(() -> {
          synchronized (this) {
            waiting.remove(sink);
          }
        });
      }
    });
  }

  void release() {
    MonoSink<AsyncPermits> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        available++;
      }
    }
    if (next != null) {
      next.success(this);
    }
  }
}
