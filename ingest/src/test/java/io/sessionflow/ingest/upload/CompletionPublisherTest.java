package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import org.junit.jupiter.api.Test;

/** A completed recording is announced exactly once, even when Kafka is down at that moment or the process restarts. */
class CompletionPublisherTest {
  /** Where {@link #completed} recordings are indexed, less the recording id. */
  private static final String INDEX_KEY_PREFIX = "index/prac/ther/cons/";
  private final Vertx vertx = Vertx.vertx();
  private final InMemoryObjectStore objects = new InMemoryObjectStore();
  private final UploadStore store = new UploadStore(objects, "b", null);
  private final FlakyKafka kafka = new FlakyKafka(objects);

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static UploadState completed(String id) {
    Instant now = Instant.now();
    return new UploadState(1, id, "prac", "ther", "cons", 10L, 10, 5L << 20, "mpu", List.of(), 0, now,
        now.plusSeconds(60), UploadState.Concat.NONE, UploadState.Status.COMPLETED, "ab", "audio/wav", false,
        "tus");
  }

  @Test
  void aCompletionMadeWhileKafkaIsDownIsAnnouncedWhenItIsBack() {
    CompletionPublisher publisher = new CompletionPublisher(kafka, store, Clock.systemUTC(), vertx);
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
    CompletionPublisher publisher = new CompletionPublisher(kafka, store, Clock.systemUTC(), vertx);
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
  void aRecordingWithoutAConsentIsIndexedAsPendingNeverUnderAConsent() {
    CompletionPublisher publisher = new CompletionPublisher(kafka, store, Clock.systemUTC(), vertx);
    UploadState base = completed("rec4");
    UploadState noConsent = new UploadState(base.version(), base.id(), base.practiceId(), base.therapistId(), null,
        base.length(), base.offset(), base.partSize(), base.multipartUploadId(), base.parts(), base.tailLength(),
        base.createdAt(), base.expiresAt(), base.concat(), base.status(), base.sha256(), base.mediaType(), false,
        base.source());
    store.save(noConsent).join();
    publisher.publish(noConsent).join();
    assertThat(kafka.published).hasSize(1);
    assertThat(new RecordingIndex(objects, "b").practice("prac").join())
        .containsExactly(RecordingIndex.Entry.of("prac", "ther", null, "rec4"))
        .allMatch(RecordingIndex.Entry::pending);
  }

  @Test
  void aRecordingDeletedBeforeItIsAnnouncedIsNotAnnouncedAndWhatAnnouncingWroteIsTakenBack() {
    CompletionPublisher publisher = new CompletionPublisher(kafka, store, Clock.systemUTC(), vertx);
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
    CompletionPublisher publisher = new CompletionPublisher(deletingKafka, store, Clock.systemUTC(), vertx);
    publisher.publish(state).join();
    assertThat(objects.objects.keySet()).noneMatch(key -> key.contains("rec6") && !key.startsWith("b/tombstones/"));
  }

  @Test
  void aRecordingWhoseIndexEntryCannotBeWrittenIsNotAnnouncedUntilItIs() {
    CompletionPublisher publisher = new CompletionPublisher(kafka, store, Clock.systemUTC(), vertx);
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
    CompletionPublisher publisher = new CompletionPublisher(kafka, store, Clock.systemUTC(), vertx);
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
