package io.sessionflow.ingest.upload;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.LongSupplier;

/**
 * Reuses the arrays of upload parts (a plaintext part buffer and a full part's ciphertext) instead
 * of allocating 8 MiB twice per part: a new array of that size is a humongous allocation for the
 * garbage collector and is zeroed before use. An array is only ever taken under a
 * {@link MemoryBudget} lease that covers it and given back once nothing reads it, so the arrays in
 * use and in the pool together never exceed the most the budget ever granted at once. Arrays left
 * unused for {@link #IDLE_NANOS} are dropped when the pool is next used or {@link #trim trimmed}.
 * An array taken again still holds another upload's bytes: every reader knows how many of them are
 * its own, so nothing is zeroed (the bytes never leave the process).
 *
 * <p>Thread-safe.
 */
final class PartBuffers {
  static final long IDLE_NANOS = 60_000_000_000L;
  private final LongSupplier nanos;
  private final ArrayDeque<Pooled> pool = new ArrayDeque<>();
  private long pooledBytes;
  private long reused;
  private long allocated;

  PartBuffers() {
    this(System::nanoTime);
  }

  PartBuffers(LongSupplier nanos) {
    this.nanos = nanos;
  }

  /** An array of exactly {@code size} bytes, a pooled one when there is one. */
  byte[] take(int size) {
    synchronized (this) {
      trim();
      for (Iterator<Pooled> it = pool.iterator(); it.hasNext(); ) {
        Pooled pooled = it.next();
        if (pooled.array.length == size) {
          it.remove();
          pooledBytes -= size;
          reused++;
          return pooled.array;
        }
      }
      allocated++;
    }
    return new byte[size];
  }

  /** Gives an array back; null is ignored. */
  void give(byte[] array) {
    if (array == null) {
      return;
    }
    synchronized (this) {
      pool.addFirst(new Pooled(array, nanos.getAsLong()));
      pooledBytes += array.length;
      trim();
    }
  }

  /** Drops the arrays unused for longer than {@link #IDLE_NANOS} (the most recently given are first). */
  synchronized void trim() {
    long now = nanos.getAsLong();
    while (!pool.isEmpty() && now - pool.peekLast().since > IDLE_NANOS) {
      pooledBytes -= pool.pollLast().array.length;
    }
  }

  synchronized long pooledBytes() {
    return pooledBytes;
  }

  /** Arrays handed out again from the pool, and newly allocated, so far. */
  synchronized long[] counts() {
    return new long[] {reused, allocated};
  }

  private record Pooled(byte[] array, long since) {
  }
}
