package io.sessionflow.language;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each test has its own {@link OnnxGate.Exit}: the process's one is never stopped here. */
class OnnxGateTest {
  private static final long WAIT_S = 60;

  @Test
  void closeWaitsForTheCallInProgressFreesOnceAndRefusesTheNext() throws Exception {
    OnnxGate gate = new OnnxGate("test model", new OnnxGate.Exit());
    AtomicInteger freed = new AtomicInteger();
    CountDownLatch leave = new CountDownLatch(1);
    CompletableFuture<Integer> inCall = new CompletableFuture<>();
    CountDownLatch entered = new CountDownLatch(1);
    Thread caller = new Thread(() -> {
      try (OnnxGate.Permit permit = gate.enter()) {
        entered.countDown();
        leave.await();
        inCall.complete(freed.get());
      } catch (InterruptedException e) {
        inCall.completeExceptionally(e);
      }
    });
    caller.start();
    assertThat(entered.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> gate.close(freed::incrementAndGet));
    // The closer waits while the call holds its permit, however long the call takes.
    await().atMost(Duration.ofSeconds(WAIT_S)).until(gate::closeWaiting);
    assertThat(freed).hasValue(0);
    leave.countDown();
    assertThat(inCall.get(WAIT_S, TimeUnit.SECONDS)).isZero();
    closing.get(WAIT_S, TimeUnit.SECONDS);
    assertThat(freed).hasValue(1);
    assertThatThrownBy(gate::enter).isInstanceOf(IllegalStateException.class)
        .hasMessage("the test model is closed (its stage is shutting down)");
    gate.close(freed::incrementAndGet);
    assertThat(freed).hasValue(1);
  }

  @Test
  void stoppingForExitWaitsForEveryModelsCallsRefusesTheNextAndFreesNothingAfter() throws Exception {
    OnnxGate.Exit exit = new OnnxGate.Exit();
    OnnxGate vad = new OnnxGate("VAD model", exit);
    OnnxGate encoder = new OnnxGate("sentence encoder", exit);
    OnnxGate.Permit running = vad.enter();
    CompletableFuture<Boolean> stopping = CompletableFuture.supplyAsync(() -> exit.stop(Duration.ofSeconds(WAIT_S)));
    // A new call is refused as soon as the stop has begun, on another model too.
    await().atMost(Duration.ofSeconds(WAIT_S)).untilAsserted(() ->
        assertThatThrownBy(encoder::enter).isInstanceOf(IllegalStateException.class)
            .hasMessage("the sentence encoder is closed (the process is exiting)"));
    assertThat(stopping).isNotDone();
    running.close();
    assertThat(stopping.get(WAIT_S, TimeUnit.SECONDS)).isTrue();
    AtomicInteger freed = new AtomicInteger();
    vad.close(freed::incrementAndGet);
    assertThat(freed).as("a model is not freed once ONNX Runtime may be gone").hasValue(0);
    assertThatThrownBy(vad::enter).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aStopWhoseCallsDoNotEndInTimeSaysSoAndStillRefusesNewCalls() throws Exception {
    OnnxGate.Exit exit = new OnnxGate.Exit();
    OnnxGate gate = new OnnxGate("test model", exit);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch leave = new CountDownLatch(1);
    Thread stuck = new Thread(() -> {
      try (OnnxGate.Permit permit = gate.enter()) {
        entered.countDown();
        leave.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    stuck.start();
    assertThat(entered.await(WAIT_S, TimeUnit.SECONDS)).isTrue();
    assertThat(exit.stop(Duration.ofMillis(50))).isFalse();
    assertThatThrownBy(gate::enter).isInstanceOf(IllegalStateException.class);
    leave.countDown();
    stuck.join(TimeUnit.SECONDS.toMillis(WAIT_S));
    assertThat(exit.stop(Duration.ofSeconds(WAIT_S))).isTrue();
  }

  @Test
  void aFailedFreeIsReportedWithTheModelsName() {
    OnnxGate gate = new OnnxGate("test model", new OnnxGate.Exit());
    assertThatThrownBy(() -> gate.close(() -> {
      throw new java.io.IOException("native error");
    })).isInstanceOf(IllegalStateException.class).hasMessage("closing the test model: native error");
  }
}
