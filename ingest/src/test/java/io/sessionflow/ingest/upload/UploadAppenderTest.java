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

  private static PartBuffers arrays(MemoryBudget budget) {
    return new PartBuffers(PartLayout.ciphertextSize(PART), budget);
  }

  private UploadAppender appender(MemoryBudget budget, PartBuffers arrays, MessageDigest hash) {
    EncryptedObjects.EncryptedUpload upload = new EncryptedObjects(holdingStore(), "b")
        .resume(key, "raw/rec1", "raw", PART, "upload-1", List.of());
    UploadAppender appender = new UploadAppender(context, blocking, upload, PART, arrays, new byte[0], -1, null,
        () -> budget.tryAcquire("p", "t", PartLayout.ciphertextSize(PART)));
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
    UploadAppender appender = appender(budget, arrays(budget), hash);

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
    UploadAppender appender = appender(budget, arrays(budget), MessageDigest.getInstance("SHA-256"));
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
    PartBuffers arrays = arrays(budget);
    UploadAppender appender = appender(budget, arrays, MessageDigest.getInstance("SHA-256"));
    // Five full parts and a byte: four go at once, the fifth waits for a slot.
    onContext(() -> Future.succeededFuture(appender.accept(Buffer.buffer(new byte[5 * PART + 1]))));
    awaitHeld(4);
    answer(2, new StorageException("upload part 2 failed: HTTP 503", 503, true, null));
    Throwable failure = onContext(() -> appender.drained().transform(d -> Future.succeededFuture(d.cause())));
    assertThat(io.sessionflow.common.failure.Failures.unwrap(failure)).isInstanceOf(StorageException.class);
    Future<Void> finished = onContext(() -> Future.succeededFuture(appender.finish()));
    assertThat(finished.isComplete()).as("parts 1, 3 and 4 are still in flight").isFalse();
    answer(1, null);
    answer(3, null);
    answer(4, null);
    onContext(() -> finished);
    assertThat(received).as("no part is sent once one failed").containsOnlyKeys(1, 2, 3, 4);
    // Every spare lease is back; the stored parts' arrays and the part buffer went back to the pool,
    // the failed part's did not (the HTTP client may still have been reading it).
    assertThat(budget.used()).isEqualTo(OWN_LEASE);
    own.close();
    assertThat(arrays.pooledBytes()).isEqualTo(4 * PartLayout.ciphertextSize(PART));
  }

  @Test
  void theArraysAreReusedKeptWithinTheBudgetAndTheIdleOnesDropped() {
    long[] now = {0};
    long[] lent = {0};
    PartBuffers arrays = new PartBuffers(100, () -> lent[0], 350, () -> now[0]);
    byte[] first = arrays.take();
    byte[] second = arrays.take();
    arrays.give(first);
    assertThat(arrays.take()).isSameAs(first);
    arrays.give(new byte[99]); // not of the pooled size: left to the garbage collector
    assertThat(arrays.pooledBytes()).isZero();
    lent[0] = 200; // the budget lends 200 now: only one more array fits beside it
    arrays.give(first);
    arrays.give(second);
    assertThat(arrays.pooledBytes()).isEqualTo(100);
    now[0] += PartBuffers.IDLE_NANOS + 1;
    arrays.trim();
    assertThat(arrays.pooledBytes()).isZero();
    assertThat(arrays.take()).isNotSameAs(first);
    assertThat(arrays.counts()).containsExactly(1, 3);
    arrays.give(null);
    assertThat(arrays.pooledBytes()).isZero();
  }

  /**
   * Through the request body's own backpressure: the body is read on while parts are in flight,
   * so a single upload has up to four parts on their way at once.
   */
  @Test
  void aStreamedBodyKeepsBeingReadWhilePartsAreInFlight() throws Exception {
    MemoryBudget budget = new MemoryBudget(100L * PART, new SimpleMeterRegistry());
    MemoryBudget.Lease own = budget.acquire("p", "t", OWN_LEASE).toCompletionStage().toCompletableFuture().get();
    byte[] recording = new byte[6 * PART + 7];
    new Random(8).nextBytes(recording);
    UploadAppender appender = appender(budget, arrays(budget), MessageDigest.getInstance("SHA-256"));
    ChunkStream body = new ChunkStream(recording, 16 << 10);
    io.vertx.core.Promise<Void> ended = io.vertx.core.Promise.promise();
    Future<Void> streamed = onContext(() -> {
      Future<Void> piped = Uploads.stream(body, appender, ended.future());
      body.ended = ended;
      return Future.succeededFuture(piped);
    });
    awaitHeld(4);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!body.paused && System.nanoTime() < deadline) {
      onContext(() -> Future.succeededFuture(null));
    }
    assertThat(body.paused).as("the fifth part waits for a slot, so the body is paused").isTrue();
    assertThat(held).hasSize(4);
    for (int part = 1; part <= 6; part++) {
      awaitHeld(Math.min(4, 7 - part));
      answer(held.keySet().stream().min(Integer::compare).orElseThrow(), null);
    }
    onContext(() -> streamed);
    onContext(appender::drained);
    assertThat(appender.parts()).hasSize(6);
    assertThat(appender.filled()).isEqualTo(7);
    assertThat(mostHeldAtOnce).isEqualTo(UploadAppender.MOST_PARTS_IN_FLIGHT);
    own.close();
  }

  /** A request body as Vert.x gives it: chunks on the context while not paused. */
  private final class ChunkStream implements io.vertx.core.streams.ReadStream<Buffer> {
    private final byte[] bytes;
    private final int chunk;
    private int position;
    private io.vertx.core.Handler<Buffer> handler;
    volatile boolean paused = true;
    io.vertx.core.Promise<Void> ended;

    ChunkStream(byte[] bytes, int chunk) {
      this.bytes = bytes;
      this.chunk = chunk;
    }

    @Override
    public ChunkStream handler(io.vertx.core.Handler<Buffer> next) {
      this.handler = next;
      return this;
    }

    @Override
    public ChunkStream pause() {
      paused = true;
      return this;
    }

    @Override
    public ChunkStream resume() {
      paused = false;
      context.runOnContext(v -> emit());
      return this;
    }

    private void emit() {
      while (!paused && position < bytes.length) {
        int end = Math.min(bytes.length, position + chunk);
        Buffer next = Buffer.buffer(Arrays.copyOfRange(bytes, position, end));
        position = end;
        handler.handle(next);
      }
      if (position == bytes.length && ended != null) {
        ended.tryComplete();
      }
    }

    @Override
    public ChunkStream fetch(long amount) {
      return resume();
    }

    @Override
    public ChunkStream exceptionHandler(io.vertx.core.Handler<Throwable> next) {
      return this;
    }

    @Override
    public ChunkStream endHandler(io.vertx.core.Handler<Void> next) {
      return this;
    }
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
