package io.sessionflow.common.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

class AsyncPermitsTest {
  @Test
  void waitersGetPlacesInOrderAsTheyFreeUpAndCancelledOnesDoNot() {
    AsyncPermits permits = new AsyncPermits(1);
    AtomicInteger granted = new AtomicInteger();
    permits.acquire().subscribe(p -> granted.incrementAndGet());
    assertThat(granted).hasValue(1);
    permits.acquire().subscribe(p -> granted.addAndGet(10));
    Disposable cancelled = permits.acquire().subscribe(p -> granted.addAndGet(100));
    assertThat(granted).hasValue(1);
    cancelled.dispose();
    permits.release();
    assertThat(granted).hasValue(11);
    permits.release();
    assertThat(granted).as("the cancelled waiter never runs").hasValue(11);
    permits.acquire().subscribe(p -> granted.addAndGet(1000));
    assertThat(granted).hasValue(1011);
  }
}
