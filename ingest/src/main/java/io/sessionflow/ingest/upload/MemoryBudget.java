package io.sessionflow.ingest.upload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A process-wide cap on the bytes that upload buffers may hold, shared fairly between practices
 * and, within a practice, between its users. An upload asks for its part buffer before it reads a
 * byte; while it may not have it, the request stays paused (the client is slowed by TCP
 * backpressure) until memory frees up, or, when it asked with a patience, until that runs out:
 * then it leaves the queue and is told {@link Busy}, so that its caller answers before the
 * connection's idle timeout cuts a paused request off without an answer.
 *
 * <p>The rules, checked whenever memory is asked for or given back:
 * <ul>
 *   <li>a practice may hold up to its share of the budget, and a user up to theirs; a tenant
 *       that holds nothing may always take one buffer that fits;</li>
 *   <li>beyond its share a tenant may borrow only while no other tenant waits and only as long as
 *       a reserve stays free for newcomers, so a noisy tenant alone can use nearly all of it but
 *       never the memory another practice's first upload needs;</li>
 *   <li>waiters are served round robin across practices, then across users of a practice, then
 *       in arrival order.</li>
 * </ul>
 * Leases are not taken back: a tenant that borrowed keeps its memory until its bodies end, and
 * is then held to its share while others wait.
 */
public final class MemoryBudget {
  /** The tenant of memory taken without one (tests, tools): a practice and user of its own. */
  public static final String NO_TENANT = "";
  private final long capacity;
  private final Shares shares;
  private final LongSupplier nanos;
  private long used;
  private long peak;
  private int waitingCount;
  private final Map<String, Long> heldByPractice = new HashMap<>();
  private final Map<List<String>, Long> heldByUser = new HashMap<>();
  /** Waiters by practice, then by user; iteration order is the round robin. */
  private final LinkedHashMap<String, LinkedHashMap<String, ArrayDeque<Waiter>>> waiting = new LinkedHashMap<>();
  private final Map<String, Counter> waits = new HashMap<>();
  private final Timer waited;
  private final Counter gaveUp;

  /**
   * How the budget is shared.
   *
   * @param practicePercent share of the budget a practice may hold while others wait (1–100)
   * @param userPercent     share of the budget one user may hold while others wait (1–100)
   * @param reservePercent  share kept free for other tenants while one borrows beyond its share (0–90)
   */
  public record Shares(int practicePercent, int userPercent, int reservePercent) {
    /** No fairness at all: one pool, first come first served (as before shares existed). */
    public static final Shares NONE = new Shares(100, 100, 0);

    public Shares {
      if (practicePercent < 1 || practicePercent > 100 || userPercent < 1 || userPercent > 100
          || reservePercent < 0 || reservePercent > 90) {
        throw new IllegalArgumentException("memory shares out of range");
      }
    }
  }

  public MemoryBudget(long capacity, MeterRegistry registry) {
    this(capacity, Shares.NONE, registry, System::nanoTime);
  }

  public MemoryBudget(long capacity, Shares shares, MeterRegistry registry) {
    this(capacity, shares, registry, System::nanoTime);
  }

  /** With a clock of nanoseconds for the wait timer (tests). */
  public MemoryBudget(long capacity, Shares shares, MeterRegistry registry, LongSupplier nanos) {
    this.capacity = capacity;
    this.shares = Objects.requireNonNull(shares);
    this.nanos = nanos;
    Gauge.builder("sessionflow.upload.buffer.bytes", this, MemoryBudget::used)
        .description("Bytes held by upload part buffers").baseUnit("bytes").register(registry);
    Gauge.builder("sessionflow.upload.buffer.peak.bytes", this, MemoryBudget::peak)
        .description("Most bytes upload part buffers ever held at once").register(registry);
    Gauge.builder("sessionflow.upload.buffer.waiting", this, b -> b.waitingCount())
        .description("Uploads paused until buffer memory frees up").register(registry);
    Gauge.builder("sessionflow.upload.buffer.practices", this, b -> b.practicesHolding())
        .description("Practices holding upload buffer memory now").register(registry);
    for (WaitReason reason : WaitReason.values()) {
      waits.put(reason.label, Counter.builder("sessionflow.upload.buffer.waits")
          .description("Uploads that had to wait for buffer memory, by why: the budget was spent (budget), or "
              + "their practice or user held its share while others waited (practice_share, user_share)")
          .tag("reason", reason.label).register(registry));
    }
    this.gaveUp = Counter.builder("sessionflow.upload.buffer.gave_up")
        .description("Uploads that waited for buffer memory longer than their patience and were told to retry (503)")
        .register(registry);
    this.waited = Timer.builder("sessionflow.upload.buffer.wait")
        .description("How long uploads that waited for buffer memory waited").register(registry);
  }

  public long capacity() {
    return capacity;
  }

  public synchronized long used() {
    return used;
  }

  public synchronized long peak() {
    return peak;
  }

  public synchronized int waitingCount() {
    return waitingCount;
  }

  /** Bytes the practice holds now. */
  public synchronized long heldBy(String practiceId) {
    return heldByPractice.getOrDefault(key(practiceId), 0L);
  }

  private synchronized int practicesHolding() {
    return heldByPractice.size();
  }

  /** As {@link #acquire(String, String, long)} for memory that belongs to no tenant. */
  public Future<Lease> acquire(long bytes) {
    return acquire(NO_TENANT, NO_TENANT, bytes);
  }

  /**
   * Completes once {@code bytes} are reserved for the practice's user; a request larger than the
   * whole budget fails at once.
   */
  public Future<Lease> acquire(String practiceId, String userId, long bytes) {
    if (bytes > capacity) {
      return tooLarge(bytes);
    }
    return enqueue(practiceId, userId, bytes).promise.future();
  }

  /**
   * As {@link #acquire(String, String, long)}, but waits at most {@code patience}: then the
   * waiter leaves the queue (nothing is reserved) and the future fails with {@link Busy}.
   */
  public Future<Lease> acquire(String practiceId, String userId, long bytes, Duration patience,
      io.vertx.core.Vertx vertx) {
    if (bytes > capacity) {
      return tooLarge(bytes);
    }
    Waiter waiter = enqueue(practiceId, userId, bytes);
    Future<Lease> lease = waiter.promise.future();
    if (!lease.isComplete()) {
      long timer = vertx.setTimer(Math.max(1, patience.toMillis()), fired -> giveUp(waiter, patience));
      lease.onComplete(done -> vertx.cancelTimer(timer));
    }
    return lease;
  }

  /**
   * Memory for work that can do without it (another part of an upload in flight): granted only at
   * once, only while nobody waits, within the tenant's shares and leaving the reserve free, so it
   * never delays an upload that needs memory to start; else null. Such leases are short (one
   * part's round trip to the store), and a newcomer waits at most that long for them.
   */
  public Lease tryAcquire(String practiceId, String userId, long bytes) {
    Waiter w = new Waiter(key(practiceId), key(userId), bytes, null, 0);
    synchronized (this) {
      if (waitingCount > 0 || used + bytes > capacity - reserve() || !withinShare(w)) {
        return null;
      }
      used += bytes;
      peak = Math.max(peak, used);
      heldByPractice.merge(w.practice, bytes, Long::sum);
      heldByUser.merge(List.of(w.practice, w.user), bytes, Long::sum);
    }
    return new Lease(w.practice, w.user, bytes);
  }

  /** Why a wait for memory ended without it: the patience ran out. No PHI, no stack trace. */
  public static final class Busy extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Busy(String message) {
      super(message, null, false, false);
    }
  }

  private Future<Lease> tooLarge(long bytes) {
    return Future.failedFuture(new IllegalArgumentException("an upload buffer of " + bytes
        + " bytes exceeds the whole memory budget of " + capacity));
  }

  private Waiter enqueue(String practiceId, String userId, long bytes) {
    Waiter waiter = new Waiter(key(practiceId), key(userId), bytes, Promise.promise(), nanos.getAsLong());
    List<Waiter> ready;
    synchronized (this) {
      waiting.computeIfAbsent(waiter.practice, p -> new LinkedHashMap<>())
          .computeIfAbsent(waiter.user, u -> new ArrayDeque<>()).add(waiter);
      waitingCount++;
      ready = dispatch();
      if (!ready.contains(waiter)) {
        waits.get(reasonFor(waiter).label).increment();
      }
    }
    complete(ready, waiter);
    return waiter;
  }

  /** Takes a waiter that is still waiting out of the queue; whoever it held back may go now. */
  private void giveUp(Waiter waiter, Duration patience) {
    List<Waiter> ready;
    synchronized (this) {
      LinkedHashMap<String, ArrayDeque<Waiter>> users = waiting.get(waiter.practice);
      ArrayDeque<Waiter> queue = users == null ? null : users.get(waiter.user);
      if (queue == null || !queue.removeIf(w -> w == waiter)) {
        return; // granted meanwhile
      }
      waitingCount--;
      if (queue.isEmpty()) {
        users.remove(waiter.user);
      }
      if (users.isEmpty()) {
        waiting.remove(waiter.practice);
      }
      gaveUp.increment();
      ready = dispatch();
    }
    waiter.promise.fail(new Busy("no upload buffer memory came free within " + patience.toSeconds() + " s"));
    complete(ready, null);
  }

  private void release(String practice, String user, long bytes) {
    List<Waiter> ready;
    synchronized (this) {
      used -= bytes;
      heldByPractice.compute(practice, (p, held) -> held - bytes == 0 ? null : held - bytes);
      heldByUser.compute(List.of(practice, user), (u, held) -> held - bytes == 0 ? null : held - bytes);
      ready = dispatch();
    }
    complete(ready, null);
  }

  /** Hands out the leases; a waiter granted at once ({@code immediate}) did not wait. */
  private void complete(List<Waiter> ready, Waiter immediate) {
    long now = nanos.getAsLong();
    for (Waiter w : ready) {
      if (w != immediate) {
        waited.record(Duration.ofNanos(Math.max(0, now - w.since)));
      }
      w.promise.complete(new Lease(w.practice, w.user, w.bytes));
    }
  }

  /** Grants every waiter the rules allow now, fairly; the caller completes them outside the lock. */
  private List<Waiter> dispatch() {
    List<Waiter> ready = new ArrayList<>();
    for (Waiter next = next(); next != null; next = next()) {
      take(next);
      ready.add(next);
    }
    return ready;
  }

  /** The first head of a user's queue, in round-robin order, that may have its memory now. */
  private Waiter next() {
    for (Map<String, ArrayDeque<Waiter>> users : waiting.values()) {
      for (ArrayDeque<Waiter> queue : users.values()) {
        if (grantable(queue.peek())) {
          return queue.peek();
        }
      }
    }
    return null;
  }

  /** Grants it and sends its user and practice to the back of the round robin. */
  private void take(Waiter w) {
    LinkedHashMap<String, ArrayDeque<Waiter>> users = waiting.remove(w.practice);
    ArrayDeque<Waiter> queue = users.remove(w.user);
    queue.poll();
    waitingCount--;
    if (!queue.isEmpty()) {
      users.put(w.user, queue);
    }
    if (!users.isEmpty()) {
      waiting.put(w.practice, users);
    }
    used += w.bytes;
    peak = Math.max(peak, used);
    heldByPractice.merge(w.practice, w.bytes, Long::sum);
    heldByUser.merge(List.of(w.practice, w.user), w.bytes, Long::sum);
  }

  private boolean grantable(Waiter w) {
    if (used + w.bytes > capacity) {
      return false;
    }
    return withinShare(w) || (!othersWaitWithinShare(w) && (used == 0 || capacity - used - w.bytes >= reserve()));
  }

  private boolean withinShare(Waiter w) {
    long practiceHeld = heldByPractice.getOrDefault(w.practice, 0L);
    long userHeld = heldByUser.getOrDefault(List.of(w.practice, w.user), 0L);
    return (practiceHeld == 0 || practiceHeld + w.bytes <= share(shares.practicePercent()))
        && (userHeld == 0 || userHeld + w.bytes <= share(shares.userPercent()));
  }

  /**
   * Whether another tenant waits for memory it is entitled to (within its shares, so it waits
   * only because the budget is spent): then nobody borrows beyond a share.
   */
  private boolean othersWaitWithinShare(Waiter w) {
    for (Map<String, ArrayDeque<Waiter>> users : waiting.values()) {
      for (ArrayDeque<Waiter> queue : users.values()) {
        Waiter head = queue.peek();
        if ((!head.practice.equals(w.practice) || !head.user.equals(w.user)) && withinShare(head)) {
          return true;
        }
      }
    }
    return false;
  }

  private WaitReason reasonFor(Waiter w) {
    if (used + w.bytes > capacity) {
      return WaitReason.BUDGET;
    }
    long practiceHeld = heldByPractice.getOrDefault(w.practice, 0L);
    return practiceHeld != 0 && practiceHeld + w.bytes > share(shares.practicePercent())
        ? WaitReason.PRACTICE_SHARE : WaitReason.USER_SHARE;
  }

  private long share(int percent) {
    return capacity * percent / 100;
  }

  private long reserve() {
    return capacity * shares.reservePercent() / 100;
  }

  private static String key(String id) {
    return id == null ? NO_TENANT : id;
  }

  private enum WaitReason {
    BUDGET("budget"), PRACTICE_SHARE("practice_share"), USER_SHARE("user_share");

    private final String label;

    WaitReason(String label) {
      this.label = label;
    }
  }

  private record Waiter(String practice, String user, long bytes, Promise<Lease> promise, long since) {
  }

  /** Reserved bytes; give them back exactly once. */
  public final class Lease implements AutoCloseable {
    private final String practice;
    private final String user;
    private final long bytes;
    private boolean released;

    private Lease(String practice, String user, long bytes) {
      this.practice = practice;
      this.user = user;
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
      release(practice, user, bytes);
    }
  }
}
