package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  private static final long BUFFER = 10;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicLong nanos = new AtomicLong();

  private MemoryBudget budget(long capacity, MemoryBudget.Shares shares) {
    return new MemoryBudget(capacity, shares, registry, nanos::get);
  }

  private static List<Future<MemoryBudget.Lease>> acquire(MemoryBudget budget, String practice, String user,
      int count) {
    List<Future<MemoryBudget.Lease>> leases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      leases.add(budget.acquire(practice, user, BUFFER));
    }
    return leases;
  }

  private static long granted(List<Future<MemoryBudget.Lease>> leases) {
    return leases.stream().filter(Future::succeeded).count();
  }

  private double waits(String reason) {
    return registry.get("sessionflow.upload.buffer.waits").tag("reason", reason).counter().count();
  }

  @Test
  void aTenantAloneUsesAllButTheReserve() {
    MemoryBudget budget = budget(100, new MemoryBudget.Shares(50, 25, 10));
    List<Future<MemoryBudget.Lease>> flood = acquire(budget, "prac-a", "ther-a", 12);
    assertThat(granted(flood)).isEqualTo(9);
    assertThat(budget.used()).isEqualTo(90);
    assertThat(budget.waitingCount()).isEqualTo(3);
    assertThat(registry.get("sessionflow.upload.buffer.bytes").gauge().value()).isEqualTo(90);
    assertThat(registry.get("sessionflow.upload.buffer.practices").gauge().value()).isEqualTo(1);
  }

  @Test
  void anotherPracticeIsServedAtOnceWhileTheFloodWaitsBeyondItsShare() {
    MemoryBudget budget = budget(100, new MemoryBudget.Shares(50, 25, 10));
    List<Future<MemoryBudget.Lease>> flood = acquire(budget, "prac-a", "ther-a", 12);
    Future<MemoryBudget.Lease> quiet = budget.acquire("prac-b", "ther-b", BUFFER);
    assertThat(quiet.succeeded()).isTrue();
    assertThat(budget.used()).isEqualTo(100);

    Future<MemoryBudget.Lease> third = budget.acquire("prac-c", "ther-c", BUFFER);
    assertThat(third.isComplete()).isFalse();
    assertThat(waits("practice_share")).isEqualTo(3); // the flood's streams beyond its share
    assertThat(waits("budget")).isEqualTo(1); // the third practice, once the budget is spent
    // The flood gives one back: the third practice, within its share, has it, not the flood's next stream.
    flood.get(0).result().close();
    assertThat(third.succeeded()).isTrue();
    assertThat(granted(flood)).isEqualTo(9);
    // The flood gives another back: it is over its share and the reserve must stay free, so it still waits.
    flood.get(1).result().close();
    assertThat(granted(flood)).isEqualTo(9);
    assertThat(budget.used()).isEqualTo(90);
    assertThat(budget.heldBy("prac-a")).isEqualTo(70);
    // Once the others are done, the flood borrows again up to the reserve.
    quiet.result().close();
    third.result().close();
    assertThat(granted(flood)).isEqualTo(11);
    assertThat(budget.used()).isEqualTo(90);
    assertThat(budget.peak()).isEqualTo(100);
  }

  @Test
  void aBorrowerWaitsWhileAnotherTenantWaitsForMemoryWithinItsShare() {
    MemoryBudget budget = budget(100, new MemoryBudget.Shares(50, 50, 0));
    List<Future<MemoryBudget.Lease>> flood = acquire(budget, "prac-a", "ther-a", 10);
    assertThat(granted(flood)).isEqualTo(10);
    Future<MemoryBudget.Lease> quiet = budget.acquire("prac-b", "ther-b", BUFFER);
    Future<MemoryBudget.Lease> more = budget.acquire("prac-a", "ther-a", BUFFER);
    assertThat(quiet.isComplete()).isFalse();
    flood.get(0).result().close();
    assertThat(quiet.succeeded()).isTrue();
    assertThat(more.isComplete()).isFalse();
    assertThat(waits("practice_share")).isZero();
    flood.get(1).result().close();
    assertThat(more.succeeded()).isTrue(); // nobody else waits: it may borrow again
  }

  @Test
  void waitersAreServedRoundRobinAcrossPracticesNotInArrivalOrder() {
    MemoryBudget budget = budget(30, MemoryBudget.Shares.NONE);
    List<Future<MemoryBudget.Lease>> holders = acquire(budget, "prac-x", "ther-x", 3);
    List<String> order = new ArrayList<>();
    for (String[] tenant : new String[][] {{"prac-a", "a1"}, {"prac-a", "a2"}, {"prac-a", "a3"},
        {"prac-b", "b1"}}) {
      budget.acquire(tenant[0], tenant[1], BUFFER).onSuccess(lease -> order.add(tenant[1]));
    }
    holders.forEach(h -> h.result().close());
    assertThat(order).containsExactly("a1", "b1", "a2");
    assertThat(budget.waitingCount()).isEqualTo(1);
  }

  @Test
  void usersOfOnePracticeTakeTurnsToo() {
    MemoryBudget budget = budget(10, MemoryBudget.Shares.NONE);
    MemoryBudget.Lease holder = budget.acquire("prac-a", "u0", BUFFER).result();
    List<String> order = new ArrayList<>();
    for (String user : new String[] {"u1", "u1", "u1", "u2"}) {
      budget.acquire("prac-a", user, BUFFER).onSuccess(lease -> {
        order.add(user);
        lease.close();
      });
    }
    holder.close();
    assertThat(order).containsExactly("u1", "u2", "u1", "u1");
  }

  @Test
  void aUserBeyondTheirShareWaitsWhileAColleagueIsServed() {
    MemoryBudget budget = budget(100, new MemoryBudget.Shares(100, 20, 0));
    List<Future<MemoryBudget.Lease>> busy = acquire(budget, "prac-a", "busy", 10);
    assertThat(granted(busy)).isEqualTo(10);
    Future<MemoryBudget.Lease> busyMore = budget.acquire("prac-a", "busy", BUFFER);
    Future<MemoryBudget.Lease> colleague = budget.acquire("prac-a", "quiet", BUFFER);
    busy.get(0).result().close();
    assertThat(colleague.succeeded()).isTrue();
    assertThat(busyMore.isComplete()).isFalse();
  }

  @Test
  void aTenantHoldingNothingAlwaysGetsABufferThatFits() {
    MemoryBudget budget = budget(100, new MemoryBudget.Shares(1, 1, 90));
    assertThat(budget.acquire("prac-a", "ther-a", 60).succeeded()).isTrue();
    assertThat(budget.acquire("prac-b", "ther-b", 40).succeeded()).isTrue();
    assertThat(budget.acquire("prac-c", "ther-c", 1).isComplete()).isFalse();
  }

  @Test
  void aBufferLargerThanTheBudgetFailsAndLeasesGoBackOnce() {
    MemoryBudget budget = budget(100, MemoryBudget.Shares.NONE);
    assertThat(budget.acquire("p", "u", 101).failed()).isTrue();
    MemoryBudget.Lease lease = budget.acquire(50).result();
    lease.close();
    lease.close();
    assertThat(budget.used()).isZero();
    assertThat(budget.heldBy(MemoryBudget.NO_TENANT)).isZero();
  }

  @Test
  void waitsAreTimedAndAnImmediateGrantIsNot() {
    MemoryBudget budget = budget(10, MemoryBudget.Shares.NONE);
    MemoryBudget.Lease first = budget.acquire("p", "u", BUFFER).result();
    Future<MemoryBudget.Lease> second = budget.acquire("q", "v", BUFFER);
    nanos.addAndGet(2_000_000_000L);
    first.close();
    assertThat(second.succeeded()).isTrue();
    var timer = registry.get("sessionflow.upload.buffer.wait").timer();
    assertThat(timer.count()).isEqualTo(1);
    assertThat(timer.totalTime(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(2.0);
  }

  @Test
  void aWaitBeyondItsPatienceLeavesTheQueueAsBusyAndLetsTheNextGo() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      MemoryBudget budget = budget(20, MemoryBudget.Shares.NONE);
      MemoryBudget.Lease first = budget.acquire("prac-a", "ther-a", BUFFER).result();
      MemoryBudget.Lease second = budget.acquire("prac-a", "ther-a", BUFFER).result();
      Future<MemoryBudget.Lease> impatient = budget.acquire("prac-a", "ther-a", BUFFER,
          java.time.Duration.ofMillis(50), vertx);
      Future<MemoryBudget.Lease> patient = budget.acquire("prac-b", "ther-b", BUFFER,
          java.time.Duration.ofMinutes(5), vertx);
      assertThat(budget.waitingCount()).isEqualTo(2);

      Throwable refused = impatient.toCompletionStage().toCompletableFuture()
          .handle((lease, error) -> error).get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(refused).isInstanceOf(MemoryBudget.Busy.class).hasMessageContaining("within 0 s");
      assertThat(budget.waitingCount()).isEqualTo(1);
      assertThat(registry.get("sessionflow.upload.buffer.gave_up").counter().count()).isEqualTo(1);

      first.close(); // the memory goes to the one still waiting, not to the one that gave up
      assertThat(patient.succeeded()).isTrue();
      assertThat(budget.used()).isEqualTo(20);
      second.close();
      patient.result().close();
      assertThat(budget.used()).isZero();
      assertThat(budget.waitingCount()).isZero();
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aWaiterGrantedBeforeItsPatienceRunsOutKeepsItsLease() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      MemoryBudget budget = budget(10, MemoryBudget.Shares.NONE);
      MemoryBudget.Lease held = budget.acquire("prac-a", "ther-a", BUFFER).result();
      Future<MemoryBudget.Lease> waiting = budget.acquire("prac-a", "ther-a", BUFFER,
          java.time.Duration.ofMillis(200), vertx);
      held.close();
      assertThat(waiting.succeeded()).isTrue();
      // Past the patience: the timer was cancelled, and the lease is still held.
      io.vertx.core.Promise<Void> later = io.vertx.core.Promise.promise();
      vertx.setTimer(400, t -> later.complete());
      later.future().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(budget.used()).isEqualTo(BUFFER);
      assertThat(registry.get("sessionflow.upload.buffer.gave_up").counter().count()).isZero();
      waiting.result().close();
    } finally {
      vertx.close().await();
    }
  }
}
