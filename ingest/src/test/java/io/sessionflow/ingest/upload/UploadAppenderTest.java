package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.CryptoConfig;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.KeyEncryptionKeys;
import io.sessionflow.common.crypto.PartBinding;
import io.sessionflow.common.crypto.PartLayout;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parts in flight within one upload: as many as the budget can spare (at most four), one when it
 * can spare none; stored out of order, listed in order; the buffer and the memory free only once
 * no part is in flight.
 */
class UploadAppenderTest {
  private static final int PART = 64 << 10;
  private static final long OWN_LEASE = PART + PartLayout.ciphertextSize(PART);
  @TempDir
  Path dir;
  private Vertx vertx;
  private Context context;
  private ExecutorService blocking;
  private DataKey key;
  /** Part uploads the store has not answered yet, by part number. */
  private final Map<Integer, CompletableFuture<CompletedPart>> held = new ConcurrentHashMap<>();
  private final Map<Integer, byte[]> received = new ConcurrentHashMap<>();
  private int mostHeldAtOnce;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    blocking = Executors.newFixedThreadPool(2);
    KeyEncryptionKeys.init();
    var kek = KeyEncryptionKeys.load(new CryptoConfig(
        KeyEncryptionKeys.createLocalIfMissing(dir.resolve("kek.json")).toString()));
    key = new RecordingKeys(new InMemoryObjectStore(), "b", kek, blocking).create("rec1", RecordingKeys.Purpose.AUDIO)
        .get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    blocking.shutdownNow();
    vertx.close().await();
  }

  /** A store whose part uploads wait until the test answers them. */
  private ObjectStore holdingStore() {
    return (ObjectStore) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {ObjectStore.class},
        (proxy, method, args) -> {
          if (!method.getName().equals("uploadPart")) {
            throw new UnsupportedOperationException(method.getName());
          }
          int number = (int) args[3];
          byte[] body = (byte[]) args[4];
          received.put(number, body.clone());
          CompletableFuture<CompletedPart> answer = new CompletableFuture<>();
          synchronized (this) {
            held.put(number, answer);
            mostHeldAtOnce = Math.max(mostHeldAtOnce, held.size());
          }
          return answer.thenApply(ignored -> new CompletedPart(number, "etag-" + number, body.length));
        });
  }

  private synchronized void answer(int partNumber, Throwable failure) {
    CompletableFuture<CompletedPart> answer = held.remove(partNumber);
    if (failure == null) {
      answer.complete(null);
    } else {
      answer.completeExceptionally(failure);
    }
  }

  private <T> T onContext(java.util.function.Supplier<Future<T>> work) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> work.get().onComplete(done -> {
      if (done.succeeded()) {
        result.complete(done.result());
      } else {
        result.completeExceptionally(done.cause());
      }
    }));
    return result.get(30, TimeUnit.SECONDS);
  }

  private UploadAppender appender(MemoryBudget budget, PartBuffers arrays, MessageDigest hash) {
    EncryptedObjects.EncryptedUpload upload = new EncryptedObjects(holdingStore(), "b")
        .resume(key, "raw/rec1", "raw", PART, "upload-1", List.of());
    UploadAppender appender = new UploadAppender(context, blocking, upload, arrays.take(PART), new byte[0], -1, null,
        arrays, () -> budget.tryAcquire("p", "t", PartLayout.ciphertextSize(PART)));
    appender.hashWhole(hash);
    return appender;
  }

  private void awaitHeld(int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (held.size() < count && System.nanoTime() < deadline) {
      onContext(() -> Future.succeededFuture(null)); // lets the appender's callbacks run
    }
    assertThat(held).hasSize(count);
  }

  @Test
  void upToFourPartsAreInFlightWhileTheBudgetCanSpareThemAndStoredOutOfOrderTheyAreListedInOrder()
      throws Exception {
    MemoryBudget budget = new MemoryBudget(100L * PART, new SimpleMeterRegistry());
    MemoryBudget.Lease own = budget.acquire("p", "t", OWN_LEASE).toCompletionStage().toCompletableFuture().get();
    byte[] recording = new byte[6 * PART + 123];
    new Random(5).nextBytes(recording);
    MessageDigest hash = MessageDigest.getInstance("SHA-256");
    UploadAppender appender = appender(budget, new PartBuffers(), hash);

    onContext(() -> {
      appender.accept(Buffer.buffer(recording));
      return Future.succeededFuture(null);
    });
    awaitHeld(4);
    assertThat(budget.used()).isEqualTo(OWN_LEASE + 3 * PartLayout.ciphertextSize(PART));
    for (int part : new int[] {3, 2, 4, 1}) {
      answer(part, null);
    }
    awaitHeld(2); // parts 5 and 6 went as soon as slots freed
    answer(6, null);
    answer(5, null);
    onContext(appender::drained);
    assertThat(appender.parts()).extracting(CompletedPart::partNumber).containsExactly(1, 2, 3, 4, 5, 6);
    Future<Void> last = onContext(() -> Future.succeededFuture(appender.writeLastPart()));
    awaitHeld(1);
    answer(7, null);
    onContext(() -> last);
    assertThat(mostHeldAtOnce).isEqualTo(UploadAppender.MOST_PARTS_IN_FLIGHT);
    assertThat(budget.used()).isEqualTo(OWN_LEASE);
    assertThat(hash.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(recording));
    for (int part = 1; part <= 7; part++) {
      byte[] plaintext = key.decryptPart(new PartBinding("rec1", "raw", part, part == 7), received.get(part));
      assertThat(plaintext).isEqualTo(Arrays.copyOfRange(recording, (part - 1) * PART,
          Math.min(recording.length, part * PART)));
    }
    own.close();
  }

  @Test
  void withNoMemoryToSpareOnePartIsInFlightAtATime() throws Exception {
    MemoryBudget budget = new MemoryBudget(OWN_LEASE, new SimpleMeterRegistry());
    MemoryBudget.Lease own = budget.acquire("p", "t", OWN_LEASE).toCompletionStage().toCompletableFuture().get();
    byte[] recording = new byte[3 * PART + 1];
    UploadAppender appender = appender(budget, new PartBuffers(), MessageDigest.getInstance("SHA-256"));
    onContext(() -> Future.succeededFuture(appender.accept(Buffer.buffer(recording))));
    for (int part = 1; part <= 3; part++) {
      awaitHeld(1);
      answer(part, null);
    }
    onContext(appender::drained);
    assertThat(mostHeldAtOnce).isEqualTo(1);
    assertThat(appender.parts()).hasSize(3);
    own.close();
  }

  @Test
  void aFailedPartFailsTheBodyAndItsArraysAreFreeOnlyOnceNoPartIsInFlight() throws Exception {
    MemoryBudget budget = new MemoryBudget(100L * PART, new SimpleMeterRegistry());
    MemoryBudget.Lease own = budget.acquire("p", "t", OWN_LEASE).toCompletionStage().toCompletableFuture().get();
    PartBuffers arrays = new PartBuffers();
    UploadAppender appender = appender(budget, arrays, MessageDigest.getInstance("SHA-256"));
    onContext(() -> Future.succeededFuture(appender.accept(Buffer.buffer(new byte[3 * PART + 1]))));
    awaitHeld(3);
    answer(2, new StorageException("upload part 2 failed: HTTP 503", 503, true, null));
    Throwable failure = onContext(() -> appender.drained().transform(d -> Future.succeededFuture(d.cause())));
    assertThat(io.sessionflow.common.failure.Failures.unwrap(failure)).isInstanceOf(StorageException.class);
    Future<Void> quiet = onContext(() -> Future.succeededFuture(appender.quiet()));
    assertThat(quiet.isComplete()).as("parts 1 and 3 are still in flight").isFalse();
    answer(1, null);
    answer(3, null);
    onContext(() -> quiet);
    // Every spare lease is back; the two full-part ciphertext arrays went back to the pool.
    assertThat(budget.used()).isEqualTo(OWN_LEASE);
    assertThat(arrays.pooledBytes()).isEqualTo(3 * PartLayout.ciphertextSize(PART));
    own.close();
  }

  @Test
  void theArraysAreReusedAndTheIdleOnesDropped() {
    long[] now = {0};
    PartBuffers arrays = new PartBuffers(() -> now[0]);
    byte[] first = arrays.take(100);
    arrays.give(first);
    assertThat(arrays.take(200)).isNotSameAs(first).hasSize(200);
    assertThat(arrays.take(100)).isSameAs(first);
    arrays.give(first);
    now[0] += PartBuffers.IDLE_NANOS + 1;
    arrays.trim();
    assertThat(arrays.pooledBytes()).isZero();
    assertThat(arrays.take(100)).isNotSameAs(first);
    assertThat(arrays.counts()).containsExactly(1, 3);
    List<byte[]> none = new ArrayList<>();
    none.add(null);
    arrays.give(none.get(0));
    assertThat(arrays.pooledBytes()).isZero();
  }

  @Test
  void spareMemoryIsGrantedOnlyAtOnceWhileNobodyWaitsAndWithinTheReserve() {
    MemoryBudget budget = new MemoryBudget(100, new MemoryBudget.Shares(100, 100, 20), new SimpleMeterRegistry());
    MemoryBudget.Lease own = budget.acquire("p", "t", 50).result();
    MemoryBudget.Lease spare = budget.tryAcquire("p", "t", 30);
    assertThat(spare).isNotNull();
    assertThat(budget.tryAcquire("p", "t", 1)).as("the reserve stays free").isNull();
    Future<MemoryBudget.Lease> waiting = budget.acquire("q", "u", 40);
    assertThat(waiting.isComplete()).isFalse();
    spare.close();
    assertThat(waiting.succeeded()).isTrue();
    Future<MemoryBudget.Lease> another = budget.acquire("r", "v", 40);
    assertThat(budget.tryAcquire("p", "t", 5)).as("someone waits").isNull();
    own.close();
    assertThat(another.succeeded()).isTrue();
    assertThat(Files.exists(dir)).isTrue();
  }
}
