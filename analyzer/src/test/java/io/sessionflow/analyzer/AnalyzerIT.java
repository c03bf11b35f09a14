package io.sessionflow.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.common.config.CryptoConfig;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.crypto.KeyEncryptionKeys;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.runtime.StageProcessConfig;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.RecordingIndex;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** transcript.ready → analysis.ready through the embedded broker and S3Proxy, as the pipeline runs it. */
class AnalyzerIT {
  static Path dir;
  static EmbeddedKafkaBroker kafka;
  static EmbeddedS3Server s3;
  static StageRuntime runtime;
  static final List<PipelineEvent> SEEN = new CopyOnWriteArrayList<>();
  static EventStream.Replay replay;
  static byte[] fixture;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("analyzer-it");
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    s3 = EmbeddedS3Server.start(dir.resolve("objects"), "it-access", "it-secret-0123456789");
    PipelineConfig pipeline = new PipelineConfig(new KafkaConfig(kafka.bootstrapServers(), 2, (short) 1, "an-it"),
        new StorageConfig(Optional.of(s3.endpoint()), "us-east-1", "sessionflow", "sessionflow", "it-access",
            "it-secret-0123456789", true, StorageConfig.MIN_PART_SIZE),
        new CryptoConfig(KeyEncryptionKeys.createLocalIfMissing(dir.resolve("kek.json")).toString()));
    runtime = StageRuntime.start(pipeline, "analyzer-it", Clock.systemUTC(), Duration.ofSeconds(60));
    AnalyzerStage.start(runtime, new AnalyzerConfig(new StageProcessConfig(pipeline, 0, "127.0.0.1"),
        NoteFormat.BIRP, 2));
    replay = runtime.events().replay(Set.of(Topic.ANALYSIS_READY, Topic.RECORDING_FAILED), e -> {
      SEEN.add(e.event());
      return CompletableFuture.completedFuture(null);
    });
    consent("cons", List.of("record", "transcribe", "analyze"), false);
    try (InputStream in = AnalyzerIT.class.getResourceAsStream("/session-transcript.json")) {
      fixture = in.readAllBytes();
    }
  }

  @AfterAll
  static void stop() {
    replay.close();
    runtime.close();
    kafka.close();
    s3.close();
  }

  /** What the transcriber leaves: the transcript under the recording's data key, then transcript.ready. */
  static TranscriptReadyEvent transcribed(byte[] transcript) {
    return transcribed(transcript, false);
  }

  static TranscriptReadyEvent transcribed(byte[] transcript, boolean deletedOnRequest) {
    return transcribed(transcript, deletedOnRequest, "cons");
  }

  /** A consent of practice "prac", as ingest stores it. */
  static void consent(String id, List<String> scope, boolean revoked) {
    Instant at = Instant.now();
    new ConsentStore(runtime.store(), "sessionflow").save(new Consent(id, "prac", "ther", "client-it", scope, "v1", at,
        at, revoked ? at : null)).join();
  }

  static TranscriptReadyEvent transcribed(byte[] transcript, boolean deletedOnRequest, String consentId) {
    String id = Ids.newId();
    // Ingest indexes every recording under its consent when the upload is created.
    new RecordingIndex(runtime.store(), "sessionflow").record(RecordingIndex.Entry.of("prac", "ther", consentId, id))
        .join();
    DataKey key = runtime.keys().create(id, RecordingKeys.Purpose.DATA).join();
    runtime.objects().put(key, ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT, transcript).join();
    if (deletedOnRequest) {
      runtime.store().put("sessionflow", ObjectKeys.tombstone(id), new byte[0], Map.of()).join();
    }
    TranscriptReadyEvent ready = new TranscriptReadyEvent(1, Instant.now(), id, "prac", "ther",
        ObjectKeys.transcript(id), 190, 10, "en", "fixture");
    runtime.events().publisher().publish(ready).join();
    return ready;
  }

  static long count(Class<?> type, String id) {
    return SEEN.stream().filter(type::isInstance).filter(e -> id.equals(e.key())).count();
  }

  @Test
  void aTranscriptBecomesAnEncryptedEvidenceLinkedAnalysisWithoutIdentifiers() throws Exception {
    TranscriptReadyEvent ready = transcribed(fixture);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(AnalysisReadyEvent.class, ready.recordingId()) == 1);
    AnalysisReadyEvent announced = SEEN.stream().filter(AnalysisReadyEvent.class::isInstance)
        .map(AnalysisReadyEvent.class::cast).filter(e -> e.recordingId().equals(ready.recordingId())).findFirst()
        .orElseThrow();
    assertThat(announced.flags()).isEqualTo(2);
    assertThat(EventCodec.toJson(announced)).doesNotContain("drinking").doesNotContain("ending");

    DataKey key = runtime.keys().load(ready.recordingId(), RecordingKeys.Purpose.DATA).join();
    JsonNode analysis = EventCodec.mapper().readTree(runtime.objects().readAll(key,
        ObjectKeys.analysis(ready.recordingId()), ObjectKeys.ANALYSIS).join());
    assertThat(analysis.path("note").path("format").asText()).isEqualTo("BIRP");
    assertThat(analysis.path("flags").findValuesAsText("category")).contains("substance_use");
    assertThat(analysis.toString()).doesNotContain("Maria").doesNotContain("Becker").doesNotContain("0412");

    // On disk (S3Proxy's files) the analysis is ciphertext: not even its placeholders show.
    try (Stream<Path> files = Files.walk(dir.resolve("objects"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        assertThat(bytes).as(file.toString()).doesNotContain("PERSON_").doesNotContain("Maria")
            .doesNotContain("suicidal_ideation");
      }
    }
  }

  @Test
  void aTranscriptRedeliveredAfterItsAnnouncementIsNotAnnouncedAgain() {
    TranscriptReadyEvent ready = transcribed(fixture);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(AnalysisReadyEvent.class, ready.recordingId()) == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> !runtime.store().listKeys("sessionflow",
        ObjectKeys.analysisLedger(ready.recordingId())).join().isEmpty());
    double before = runtime.registry().get("sessionflow.analysis.duplicates").counter().count();
    // What a crash between the announcement and the offset commit looks like: the same record again.
    runtime.events().publisher().publish(ready).join();
    await().atMost(Duration.ofSeconds(60)).until(() -> runtime.registry().get("sessionflow.analysis.duplicates")
        .counter().count() == before + 1);
    TranscriptReadyEvent marker = transcribed(fixture);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(AnalysisReadyEvent.class, marker.recordingId()) == 1);
    assertThat(count(AnalysisReadyEvent.class, ready.recordingId())).isEqualTo(1);
  }

  @Test
  void aRecordingDeletedBeforeItsAnalysisIsSkippedAndAMalformedTranscriptIsDeadLettered() {
    TranscriptReadyEvent deleted = transcribed(fixture, true);
    TranscriptReadyEvent broken = transcribed("{\"segments\": [".getBytes(StandardCharsets.UTF_8));
    TranscriptReadyEvent marker = transcribed(fixture);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(AnalysisReadyEvent.class, marker.recordingId()) == 1
        && count(RecordingFailedEvent.class, broken.recordingId()) == 1
        && runtime.registry().get("sessionflow.analysis.skipped").counter().count() == 1);
    RecordingFailedEvent failed = SEEN.stream().filter(RecordingFailedEvent.class::isInstance)
        .map(RecordingFailedEvent.class::cast).filter(e -> e.recordingId().equals(broken.recordingId()))
        .findFirst().orElseThrow();
    assertThat(failed.stage()).isEqualTo("analyzer");
    assertThat(failed.reason()).contains("not valid transcript JSON");
    assertThat(runtime.store().listKeys("sessionflow", ObjectKeys.analysis(deleted.recordingId())).join())
        .as("a deleted recording gets no analysis").isEmpty();
  }

  @Test
  void aRecordingWhoseConsentDoesNotCoverAnalysisEndsFailedSayingWhyWithNoAnalysis() {
    consent("cons-no-analysis", List.of("record", "transcribe"), false);
    consent("cons-revoked-later", List.of("record", "transcribe", "analyze"), true);
    TranscriptReadyEvent scope = transcribed(fixture, false, "cons-no-analysis");
    TranscriptReadyEvent revoked = transcribed(fixture, false, "cons-revoked-later");
    TranscriptReadyEvent pending = transcribed(fixture, false, null);
    await().atMost(Duration.ofSeconds(60)).until(() -> Stream.of(scope, revoked, pending)
        .allMatch(e -> count(RecordingFailedEvent.class, e.recordingId()) == 1));
    assertThat(failure(scope.recordingId()).stage()).isEqualTo("analyzer");
    assertThat(failure(scope.recordingId()).reason()).startsWith("consent-scope").contains("'analyze'");
    assertThat(failure(revoked.recordingId()).reason()).startsWith("consent-revoked");
    assertThat(failure(pending.recordingId()).reason()).startsWith("consent-missing");
    for (TranscriptReadyEvent e : List.of(scope, revoked, pending)) {
      assertThat(count(AnalysisReadyEvent.class, e.recordingId())).isZero();
      assertThat(runtime.store().listKeys("sessionflow", ObjectKeys.analysis(e.recordingId())).join()).isEmpty();
      assertThat(failure(e.recordingId()).reason()).doesNotContain("client-it");
    }
  }

  static RecordingFailedEvent failure(String id) {
    return SEEN.stream().filter(RecordingFailedEvent.class::isInstance).map(RecordingFailedEvent.class::cast)
        .filter(e -> e.recordingId().equals(id)).findFirst().orElseThrow();
  }
}
