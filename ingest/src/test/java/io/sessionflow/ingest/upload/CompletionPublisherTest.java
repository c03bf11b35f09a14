package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.kafka.KafkaException;
import io.sessionflow.common.storage.RecordingIndex;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A completed recording is announced exactly once, even when Kafka is down at that moment or the process restarts,
 * and never without a consent that is valid at that moment.
 */
class CompletionPublisherTest {
  /** Where {@link #completed} recordings are indexed, less the recording id. */
  private static final String INDEX_KEY_PREFIX = "index/prac/ther/cons/";
  private final Vertx vertx = Vertx.vertx();
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final UploadStore store = new UploadStore(objects, "b", null);
  private final FlakyKafka kafka = new FlakyKafka(objects);

  private final ConsentStore consents = new ConsentStore(objects, "b");
  /** Recordings handed to the discarder, in order; the fake discarder deletes their state. */
  private final List<String> discarded = new CopyOnWriteArrayList<>();

  @BeforeEach
  void consent() {
    consents.save(consent("cons", "prac", List.of("record", "transcribe", "analyze"))).join();
  }

  private CompletionPublisher publisher(EventPublisher events) {
    CompletionPublisher publisher = new CompletionPublisher(events, store, consents, Clock.systemUTC(), vertx);
    publisher.discardRefusedWith(state -> {
      discarded.add(state.id());
      return objects.delete("b", UploadStore.stateKey(state.id()));
    });
    return publisher;
  }

  static Consent consent(String id, String practice, List<String> scope) {
    Instant at = Instant.parse("2026-10-01T09:00:00Z");
    return new Consent(id, practice, "ther", "client-1", scope, "v1", at, at, null);
  }

  static UploadState withConsent(UploadState base, String consentId) {
    return base.withConsent(consentId);
  }

  /** An archive entry stored before its manifest, at {@code created}: no consent yet. */
  static UploadState imported(String id, Instant created) {
    return new UploadState(1, id, "prac", "ther", null, 10L, 10, 5L << 20, "mpu", List.of(), 0, created,
        created.plus(Duration.ofHours(24)), UploadState.Concat.NONE, UploadState.Status.COMPLETED, "ab",
        "audio/wav", false, "import", List.of(), null);
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static UploadState completed(String id) {
    Instant now = Instant.now();
    return new UploadState(1, id, "prac", "ther", "cons", 10L, 10, 5L << 20, "mpu", List.of(), 0, now,
        now.plusSeconds(60), UploadState.Concat.NONE, UploadState.Status.COMPLETED, "ab", "audio/wav", false,
        "tus", List.of(), null);
  }

  @Test
  void aCompletionMadeWhileKafkaIsDownIsAnnouncedWhenItIsBack() {
    CompletionPublisher publisher = publisher(kafka);
    UploadState state = completed("rec1");
    store.save(state).join();
    kafka.down.set(true);
    publisher.publish(state);
    await().atMost(Duration.ofSeconds(5)).until(() -> kafka.attempts.get() >= 1);
    assertThat(store.load("rec1").join().orElseThrow().published()).isFalse();
    assertThat(publisher.awaitingRetry()).isEqualTo(1);
    kafka.down.set(false);
    await().atMost(Duration.ofSeconds(10)).until(() -> store.load("rec1").join().orElseThrow().published());
    assertThat(kafka.published).hasSize(1);
    RecordingStoredEvent event = (RecordingStoredEvent) kafka.published.get(0);
    assertThat(event.recordingId()).isEqualTo("rec1");
    assertThat(event.objectKey()).isEqualTo("raw/rec1");
    assertThat(publisher.awaitingRetry()).isZero();
  }

  @Test
  void theRecordingIsIndexedBeforeItIsAnnounced() {
    CompletionPublisher publisher = publisher(kafka);
    UploadState state = completed("rec2");
    store.save(state).join();
    publisher.publish(state).join();
    assertThat(kafka.published).hasSize(1);
    assertThat(kafka.indexedWhenPublished).containsExactly(true);
    assertThat(new RecordingIndex(objects, "b").practice("prac").join())
        .containsExactly(new RecordingIndex.Entry("prac", "ther", "cons", "rec2"));
    assertThat(store.load("rec2").join().orElseThrow().published()).isTrue();
  }

  @Test
  void aRecordingWithoutAConsentIsNeverAnnouncedAndIsDiscarded() {
    CompletionPublisher publisher = publisher(kafka);
    UploadState noConsent = withConsent(completed("rec4"), null);
    store.save(noConsent).join();
    publisher.publish(noConsent).join();
    assertThat(kafka.attempts.get()).isZero();
    assertThat(discarded).containsExactly("rec4");
    assertThat(new RecordingIndex(objects, "b").practice("prac").join()).isEmpty();
    assertThat(publisher.awaitingRetry()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"missing", "revoked", "no-record-scope", "other-practice"})
  void aRecordingWhoseConsentIsNotValidNowIsNeverAnnouncedAndIsDiscarded(String how) {
    Instant now = Instant.now();
    switch (how) {
      case "revoked" -> consents.save(consent("bad", "prac", List.of("record")).revoked(now)).join();
      case "no-record-scope" -> consents.save(consent("bad", "prac", List.of("transcribe", "analyze"))).join();
      case "other-practice" -> consents.save(consent("bad", "prac-2", List.of("record"))).join();
      default -> { }
    }
    CompletionPublisher publisher = publisher(kafka);
    UploadState state = withConsent(completed("rec7"), "bad");
    store.save(state).join();
    publisher.publish(state).join();
    assertThat(kafka.attempts.get()).isZero();
    assertThat(discarded).containsExactly("rec7");
  }

  @Test
  void aConsentThatCannotBeReadIsRetriedNeverSkippedNorDiscarded() {
    CompletionPublisher publisher = publisher(kafka);
    UploadState state = completed("rec8");
    store.save(state).join();
    String key = ConsentStore.key("prac", "cons");
    byte[] good = objects.get("b", key).join();
    objects.put("b", key, "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8), java.util.Map.of()).join();
    assertThat(publisher.publish(state)).failsWithin(Duration.ofSeconds(5));
    assertThat(kafka.attempts.get()).isZero();
    assertThat(discarded).isEmpty();
    assertThat(publisher.awaitingRetry()).isEqualTo(1);
    objects.put("b", key, good, java.util.Map.of()).join();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.load("rec8").join().orElseThrow().published());
    assertThat(kafka.published).hasSize(1);
  }

  @Test
  void afterARestartAnEntryWithoutConsentIsRemovedOnceOldAndLeftWhileItsImportMayStillCheckIt() {
    Instant now = Instant.now();
    UploadState old = imported("old", now.minus(CompletionPublisher.PENDING_GRACE).minusSeconds(60));
    UploadState young = imported("young", now.minus(Duration.ofMinutes(5)));
    UploadState tusNoConsent = withConsent(completed("tusnocons"), null);
    UploadState revoked = withConsent(completed("revoked"), "gone");
    consents.save(consent("gone", "prac", List.of("record")).revoked(now)).join();
    for (UploadState state : List.of(old, young, tusNoConsent, revoked, completed("lost"))) {
      store.save(state).join();
    }
    CompletionPublisher publisher = publisher(kafka);
    publisher.recover(id -> false).join();
    await().atMost(Duration.ofSeconds(5)).until(() -> store.load("lost").join().orElseThrow().published());
    await().atMost(Duration.ofSeconds(5)).until(() -> discarded.size() == 3);
    assertThat(discarded).containsExactlyInAnyOrder("old", "tusnocons", "revoked");
    assertThat(kafka.published).extracting(e -> ((RecordingStoredEvent) e).recordingId()).containsExactly("lost");
    assertThat(store.load("young").join()).isPresent();
  }

  @Test
  void aRecordingDeletedBeforeItIsAnnouncedIsNotAnnouncedAndWhatAnnouncingWroteIsTakenBack() {
    CompletionPublisher publisher = publisher(kafka);
    UploadState state = completed("rec5");
    store.save(state).join();
    new RecordingIndex(objects, "b").record(Uploads.indexEntry(state)).join();
    objects.put("b", io.sessionflow.common.storage.ObjectKeys.tombstone("rec5"), new byte[0], java.util.Map.of())
        .join();
    publisher.publish(state).join();
    assertThat(kafka.attempts.get()).isZero();
    assertThat(objects.objects.keySet()).noneMatch(key -> key.contains("rec5") && !key.startsWith("b/tombstones/"));
  }

  @Test
  void aRecordingDeletedWhileItIsAnnouncedHasItsIndexEntryAndStateTakenBack() {
    UploadState state = completed("rec6");
    store.save(state).join();
    // The deletion lands while the event is being sent: the purge has run, announcing writes after it.
    EventPublisher deletingKafka = event -> {
      objects.put("b", io.sessionflow.common.storage.ObjectKeys.tombstone("rec6"), new byte[0], java.util.Map.of())
          .join();
      objects.objects.keySet().removeIf(key -> key.contains("rec6") && !key.startsWith("b/tombstones/"));
      return CompletableFuture.completedFuture(null);
    };
    CompletionPublisher publisher = publisher(deletingKafka);
    publisher.publish(state).join();
    assertThat(objects.objects.keySet()).noneMatch(key -> key.contains("rec6") && !key.startsWith("b/tombstones/"));
  }

  @Test
  void aRecordingWhoseIndexEntryCannotBeWrittenIsNotAnnouncedUntilItIs() {
    CompletionPublisher publisher = publisher(kafka);
    UploadState state = completed("rec3");
    store.save(state).join();
    objects.unreachablePrefix = RecordingIndex.PREFIX;
    assertThat(publisher.publish(state)).failsWithin(Duration.ofSeconds(5));
    assertThat(kafka.attempts.get()).isZero();
    assertThat(store.load("rec3").join().orElseThrow().published()).isFalse();
    assertThat(publisher.awaitingRetry()).isEqualTo(1);
    objects.unreachablePrefix = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> store.load("rec3").join().orElseThrow().published());
    assertThat(kafka.indexedWhenPublished).containsExactly(true);
    assertThat(((RecordingStoredEvent) kafka.published.get(0)).recordingId()).isEqualTo("rec3");
    assertThat(publisher.awaitingRetry()).isZero();
  }

  @Test
  void afterARestartUnannouncedCompletionsAreAnnouncedAndAlreadyAnnouncedOnesOnlyMarked() {
    store.save(completed("announced")).join();
    store.save(completed("lost")).join();
    store.save(completed("done").markPublished()).join();
    CompletionPublisher publisher = publisher(kafka);
    assertThat(publisher.recover(id -> id.equals("announced")).join()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).until(() -> store.load("lost").join().orElseThrow().published());
    assertThat(store.load("announced").join().orElseThrow().published()).isTrue();
    assertThat(kafka.published).extracting(e -> ((RecordingStoredEvent) e).recordingId()).containsExactly("lost");
  }

  private static final class FlakyKafka implements EventPublisher {
    final AtomicBoolean down = new AtomicBoolean();
    final java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
    final List<PipelineEvent> published = new CopyOnWriteArrayList<>();
    /** For each published event, whether its recording's index entry was already in storage. */
    final List<Boolean> indexedWhenPublished = new CopyOnWriteArrayList<>();
    private final InMemoryObjectStore objects;

    FlakyKafka(InMemoryObjectStore objects) {
      this.objects = objects;
    }

    @Override
    public CompletableFuture<Void> publish(PipelineEvent event) {
      attempts.incrementAndGet();
      if (down.get()) {
        return CompletableFuture.failedFuture(new KafkaException("broker unreachable", true, null));
      }
      published.add(event);
      indexedWhenPublished.add(objects.objects.containsKey("b/" + INDEX_KEY_PREFIX + event.key()));
      return CompletableFuture.completedFuture(null);
    }
  }
}
