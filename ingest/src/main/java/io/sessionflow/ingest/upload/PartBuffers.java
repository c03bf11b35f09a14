package io.sessionflow.ingest.upload;

import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Reuses the arrays of upload parts instead of allocating 8 MiB twice per part: a new array of
 * that size is a humongous allocation for the garbage collector and is zeroed before use. Every
 * array has one size, a full part's ciphertext ({@code arraySize}), so a part buffer (which uses
 * the first part-size bytes of it) and a ciphertext can take each other's arrays. An array is
 * taken under a {@link MemoryBudget} lease that covers it and given back once nothing reads it,
 * after that lease (or before, then counted twice); it is kept only while the arrays kept and the
 * memory the budget has lent stay within the budget, so the arrays in use and in the pool together
 * never exceed it. Arrays left unused for {@link #IDLE_NANOS} are dropped by {@link #trim}. A reused
 * array still holds another upload's bytes: every reader knows how many of them are its own, so
 * nothing is zeroed (the bytes never leave the process).
 *
 * <p>Thread-safe.
 */
final class PartBuffers {
  static final long IDLE_NANOS = 60_000_000_000L;
  private final int arraySize;
  private final LongSupplier lent;
  private final long capacity;
  private final LongSupplier nanos;
  private final ArrayDeque<Pooled> pool = new ArrayDeque<>();
  private long reused;
  private long allocated;

  /** Arrays of {@code arraySize} bytes, kept within {@code budget} (its memory lent plus the arrays kept). */
  PartBuffers(long arraySize, MemoryBudget budget) {
    this(arraySize, budget::used, budget.capacity(), System::nanoTime);
  }

  PartBuffers(long arraySize, LongSupplier lent, long capacity, LongSupplier nanos) {
    this.arraySize = Math.toIntExact(arraySize);
    this.lent = lent;
    this.capacity = capacity;
    this.nanos = nanos;
  }

  int arraySize() {
    return arraySize;
  }

  /** An array of {@link #arraySize} bytes, a kept one when there is one. */
  byte[] take() {
    synchronized (this) {
      Pooled pooled = pool.pollFirst();
      if (pooled != null) {
        reused++;
        return pooled.array;
      }
      allocated++;
    }
    return new byte[arraySize];
  }

  /** Gives an array back; kept if it is of {@link #arraySize} and the budget has room for it; null is ignored. */
  void give(byte[] array) {
    if (array == null || array.length != arraySize) {
      return;
    }
    synchronized (this) {
      trim();
      if ((pool.size() + 1L) * arraySize + lent.getAsLong() <= capacity) {
        pool.addFirst(new Pooled(array, nanos.getAsLong()));
      }
    }
  }

  /** Drops the arrays unused for longer than {@link #IDLE_NANOS} (the most recently given are first). */
  synchronized void trim() {
    long now = nanos.getAsLong();
    while (!pool.isEmpty() && now - pool.peekLast().since > IDLE_NANOS) {
      pool.pollLast();
    }
  }

  synchronized long pooledBytes() {
    return (long) pool.size() * arraySize;
  }

  /** Arrays handed out again from the pool, and newly allocated, so far. */
  synchronized long[] counts() {
    return new long[] {reused, allocated};
  }

  private record Pooled(byte[] array, long since) {
  }
}
