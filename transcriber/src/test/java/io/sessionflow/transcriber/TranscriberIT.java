package io.sessionflow.transcriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.config.CryptoConfig;
import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.crypto.KeyEncryptionKeys;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.runtime.StageProcessConfig;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.transcriber.decode.AudioFixtures;
import io.sessionflow.transcriber.model.GgmlModelWriter;
import io.sessionflow.transcriber.model.ModelShape;
import io.sessionflow.transcriber.whisper.WhisperEngine;
import io.sessionflow.transcriber.whisper.WhisperSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** recording.stored → transcript.ready through the embedded broker and S3Proxy, with real decode and inference. */
class TranscriberIT {
  static Path dir;
  static EmbeddedKafkaBroker kafka;
  static EmbeddedS3Server s3;
  static StageRuntime runtime;
  static WhisperEngine engine;
  static TranscriberStage stage;
  static final List<PipelineEvent> SEEN = new CopyOnWriteArrayList<>();
  static EventStream.Replay replay;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("transcriber-it");
    kafka = EmbeddedKafkaBroker.start(dir.resolve("kafka"));
    s3 = EmbeddedS3Server.start(dir.resolve("objects"), "it-access", "it-secret-0123456789");
    PipelineConfig pipeline = new PipelineConfig(new KafkaConfig(kafka.bootstrapServers(), 2, (short) 1, "tr-it"),
        new StorageConfig(Optional.of(s3.endpoint()), "us-east-1", "sessionflow", "sessionflow", "it-access",
            "it-secret-0123456789", true, StorageConfig.MIN_PART_SIZE),
        new CryptoConfig(KeyEncryptionKeys.createLocalIfMissing(dir.resolve("kek.json")).toString()));
    runtime = StageRuntime.start(pipeline, "transcriber-it", Clock.systemUTC(), Duration.ofSeconds(60));
    WhisperSettings whisper = new WhisperSettings("", "en", 2, 1, false);
    engine = WhisperEngine.load(GgmlModelWriter.write(dir.resolve("model.bin"), ModelShape.SMALL, 3), whisper);
    TranscriberConfig config = new TranscriberConfig(new StageProcessConfig(pipeline, 0, "127.0.0.1"), whisper, 1,
        3);
    consent("cons", List.of("record", "transcribe", "analyze"), false);
    stage = TranscriberStage.start(runtime, config, engine);
    replay = runtime.events().replay(Set.of(Topic.TRANSCRIPT_READY, Topic.RECORDING_FAILED), e -> {
      SEEN.add(e.event());
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterAll
  static void stop() {
    replay.close();
    runtime.close();
    kafka.close();
    s3.close();
  }

  /** What ingest does: the recording encrypted under a new key in raw/, then recording.stored. */
  static RecordingStoredEvent store(byte[] audio) {
    String id = storeOnly(audio);
    return announce(id, audio.length);
  }

  /** A consent of practice "prac", as ingest stores it. */
  static void consent(String id, List<String> scope, boolean revoked) {
    Instant at = Instant.now();
    new ConsentStore(runtime.store(), "sessionflow").save(new Consent(id, "prac", "ther", "client-it", scope, "v1", at,
        at, revoked ? at : null)).join();
  }

  /** Publishes recording.stored for {@code id}, as ingest does once the bytes are stored. */
  static RecordingStoredEvent announce(String id, long size) {
    return announce(id, size, "cons");
  }

  static RecordingStoredEvent announce(String id, long size, String consentId) {
    RecordingStoredEvent event = new RecordingStoredEvent(1, Instant.now(), id, "prac", "ther", consentId,
        ObjectKeys.raw(id), size, StorageConfig.MIN_PART_SIZE, "00", "audio/wav", "tus");
    runtime.events().publisher().publish(event).join();
    return event;
  }

  static long count(Class<?> type, String id) {
    return SEEN.stream().filter(type::isInstance).filter(e -> id.equals(e.key())).count();
  }

  @Test
  void aStoredRecordingBecomesAnEncryptedTranscriptAndIsAnnouncedOnce() throws Exception {
    byte[] stereo = AudioFixtures.speech(AudioFixtures.FORMATS.get("ogg-opus"), 48_000, 2, 8, 0.05, 1);
    RecordingStoredEvent stored = store(stereo);
    await().atMost(Duration.ofSeconds(90)).until(() -> count(TranscriptReadyEvent.class, stored.recordingId()) == 1);
    DataKey key = runtime.keys().load(stored.recordingId(), RecordingKeys.Purpose.DATA).join();
    JsonObject transcript = new JsonObject(Buffer.buffer(runtime.objects().readAll(key,
        ObjectKeys.transcript(stored.recordingId()), ObjectKeys.TRANSCRIPT).join()));
    assertThat(transcript.getDouble("audioSeconds")).isBetween(7.9, 8.1);
    assertThat(transcript.getString("engine")).startsWith("whisper.cpp 1.9.1 (").contains("CPU");
    assertThat(transcript.getString("language")).as("the configured language").isEqualTo("en");
    assertThat(transcript.getString("model")).isEqualTo("model.bin");
    assertThat(transcript.getInteger("channels")).isEqualTo(2);
    // The voice-activity model's own view of the speech: times only.
    JsonObject speech = transcript.getJsonObject("speech");
    assertThat(speech.fieldNames()).containsExactlyInAnyOrder("ratio", "regions", "longestPause");
    assertThat(speech.getDouble("ratio")).isBetween(0.5, 1.0);
    assertThat(speech.getJsonArray("regions")).isNotEmpty().allSatisfy(region -> {
      assertThat(((io.vertx.core.json.JsonArray) region).getDouble(0)).isBetween(0.0, 8.0);
      assertThat(((io.vertx.core.json.JsonArray) region).getDouble(1)).isBetween(0.0, 8.01);
    });
    // Crypto-shredding the audio (what the purge does) leaves the transcript readable.
    runtime.keys().destroy(stored.recordingId(), RecordingKeys.Purpose.AUDIO).join();
    assertThat(runtime.objects().readAll(runtime.keys().load(stored.recordingId(), RecordingKeys.Purpose.DATA)
        .join(), ObjectKeys.transcript(stored.recordingId()), ObjectKeys.TRANSCRIPT).join()).isNotEmpty();
    assertThat(transcript.getJsonArray("segments")).as("the generated model emits segments for this input")
        .isNotEmpty();
    for (Object s : transcript.getJsonArray("segments")) {
      JsonObject segment = (JsonObject) s;
      assertThat(segment.getDouble("end")).isLessThanOrEqualTo(8.1);
      assertThat(segment.getString("speaker")).as("left channel dominates").isEqualTo("A");
    }
    // The same event delivered again: nothing is transcribed or announced twice.
    runtime.events().publisher().publish(stored).join();
    RecordingStoredEvent marker = store(AudioFixtures.speech(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 2, 1,
        2));
    await().atMost(Duration.ofSeconds(90)).until(() -> count(TranscriptReadyEvent.class, marker.recordingId()) == 1);
    assertThat(count(TranscriptReadyEvent.class, stored.recordingId())).isEqualTo(1);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        runtime.registry().get("sessionflow.transcription.lag.records").gauge().value() == 0);
    assertThat(runtime.registry().get("sessionflow.transcription.realtime.factor").summary().count())
        .isGreaterThanOrEqualTo(2);
    assertThat(runtime.registry().get("sessionflow.transcription.decode.seconds").counter().count()).isPositive();
    assertThat(runtime.registry().get("sessionflow.transcription.speech.seconds").counter().count()).isPositive();
    assertThat(runtime.registry().get("sessionflow.transcription.vad.seconds").counter().count()).isPositive();
    assertThat(runtime.registry().get("sessionflow.transcription.skipped.seconds").counter()).isNotNull();
    assertThat(runtime.registry().get("sessionflow.transcription.attempts").summary().max()).isEqualTo(1);
    assertThat(runtime.registry().get("sessionflow.transcription.slots").gauge().value()).isEqualTo(1);
    assertThat(runtime.registry().get("sessionflow.transcription.slots.busy").gauge().value()).isBetween(0.0, 1.0);
    assertThat(Files.walk(dir.resolve("objects")).filter(Files::isRegularFile).map(p -> {
      try {
        return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).noneMatch(content -> content.contains("\"segments\""))).isTrue();
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"wav-s16", "wav-s24", "wav-float", "mp3", "m4a",
      "ogg-opus", "webm-opus", "flac", "amr"})
  void everyFormatAPhoneOrArchiveProducesIsTranscribed(String format) throws Exception {
    int rate = format.equals("amr") ? 8000 : format.contains("opus") ? 48_000 : 22_050;
    RecordingStoredEvent stored = store(AudioFixtures.speech(AudioFixtures.FORMATS.get(format), rate,
        format.equals("amr") ? 1 : 2, 4, 1.0, 3));
    await().atMost(Duration.ofSeconds(90)).until(() -> count(TranscriptReadyEvent.class, stored.recordingId()) == 1);
    DataKey key = runtime.keys().load(stored.recordingId(), RecordingKeys.Purpose.DATA).join();
    JsonObject transcript = new JsonObject(Buffer.buffer(runtime.objects().readAll(key,
        ObjectKeys.transcript(stored.recordingId()), ObjectKeys.TRANSCRIPT).join()));
    assertThat(transcript.getDouble("audioSeconds")).as(format).isBetween(3.9, 4.2);
  }

  @Test
  void anM4aWithItsIndexAtTheEndIsReadBySeekingInStorageNotByBuffering() throws Exception {
    byte[] m4a = AudioFixtures.m4aWithIndexAtTheEnd(45);
    // The index really is at the end: the file starts with ftyp and the moov comes after the mdat.
    String ascii = new String(m4a, StandardCharsets.ISO_8859_1);
    assertThat(ascii.indexOf("moov")).isGreaterThan(ascii.indexOf("mdat"));
    RecordingStoredEvent stored = store(m4a);
    await().atMost(Duration.ofSeconds(90)).until(() -> count(TranscriptReadyEvent.class, stored.recordingId()) == 1);
    DataKey key = runtime.keys().load(stored.recordingId(), RecordingKeys.Purpose.DATA).join();
    JsonObject transcript = new JsonObject(Buffer.buffer(runtime.objects().readAll(key,
        ObjectKeys.transcript(stored.recordingId()), ObjectKeys.TRANSCRIPT).join()));
    assertThat(transcript.getDouble("audioSeconds")).isBetween(44.9, 45.2);
  }

  @Test
  void filesThatAreNotAudioOrSilentAreDeadLetteredWithTheirReasonNotRetried() throws Exception {
    RecordingStoredEvent text = store("this is not audio at all".getBytes(StandardCharsets.UTF_8));
    RecordingStoredEvent silent = store(AudioFixtures.tone(AudioFixtures.FORMATS.get("flac"), 16_000, 1, 3, 1, 0));
    RecordingStoredEvent empty = store(new byte[0]);
    // Sound, but no speech: a sustained tone, as a recorder left on beside a radio might capture.
    RecordingStoredEvent tone = store(AudioFixtures.tone(AudioFixtures.FORMATS.get("flac"), 16_000, 1, 6, 1));
    byte[] corrupt = AudioFixtures.tone(AudioFixtures.FORMATS.get("flac"), 16_000, 1, 3, 1);
    java.util.Random random = new java.util.Random(5);
    for (int i = 200; i < corrupt.length; i++) {
      corrupt[i] = (byte) random.nextInt(256);
    }
    RecordingStoredEvent damaged = store(corrupt);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(RecordingFailedEvent.class, text.recordingId()) == 1
        && count(RecordingFailedEvent.class, silent.recordingId()) == 1
        && count(RecordingFailedEvent.class, empty.recordingId()) == 1
        && count(RecordingFailedEvent.class, damaged.recordingId()) == 1
        && count(RecordingFailedEvent.class, tone.recordingId()) == 1);
    assertThat(count(TranscriptReadyEvent.class, damaged.recordingId())).isZero();
    RecordingFailedEvent failed = failure(text.recordingId());
    assertThat(failed.stage()).isEqualTo("transcriber");
    assertThat(failed.reason()).contains("not a media file");
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failure(silent.recordingId()).reason()).contains("silent throughout");
    assertThat(failure(tone.recordingId()).reason()).contains("no speech");
    assertThat(failure(tone.recordingId()).attempts()).isEqualTo(1);
  }

  @Test
  void aRecordingThatKilledTheEngineBeforeIsDeadLetteredNotRetriedForever() {
    String id = Ids.newId();
    // Three earlier attempts were claimed and never finished (the process died in whisper.cpp).
    runtime.store().put("sessionflow", JobLedger.key(id), "3".getBytes(StandardCharsets.US_ASCII), Map.of())
        .join();
    runtime.keys().create(id, RecordingKeys.Purpose.AUDIO).join();
    announce(id, 10);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(RecordingFailedEvent.class, id) == 1);
    assertThat(failure(id).reason()).contains("gave up after 3");
    assertThat(exists(JobLedger.key(id))).as("a record given up on takes its ledger back").isFalse();
  }

  static boolean exists(String key) {
    return io.sessionflow.common.storage.Tombstones.exists(runtime.store(), "sessionflow", key).join();
  }

  static double deletedSkips() {
    var counter = runtime.registry().find("sessionflow.transcription.deleted").counter();
    return counter == null ? 0 : counter.count();
  }

  /** What a deletion request does: tombstone first, then the purge destroys audio and keys. */
  static void delete(String id) {
    runtime.store().put("sessionflow", ObjectKeys.tombstone(id), "{}".getBytes(StandardCharsets.UTF_8), Map.of())
        .join();
    runtime.keys().destroy(id, RecordingKeys.Purpose.AUDIO).join();
    runtime.keys().destroy(id, RecordingKeys.Purpose.DATA).join();
    runtime.store().delete("sessionflow", ObjectKeys.raw(id)).join();
  }

  @Test
  void aRecordingDeletedBeforeItsTurnIsSkippedWithNothingWrittenNeitherLedgerNorKey() throws Exception {
    double before = deletedSkips();
    RecordingStoredEvent stored = store(AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 3, 1));
    delete(stored.recordingId());
    await().atMost(Duration.ofSeconds(90)).until(() -> deletedSkips() > before);
    String id = stored.recordingId();
    assertThat(count(TranscriptReadyEvent.class, id) + count(RecordingFailedEvent.class, id))
        .as("skipped: neither announced nor dead-lettered").isZero();
    assertThat(exists(JobLedger.key(id))).isFalse();
    assertThat(exists(ObjectKeys.transcript(id))).isFalse();
    assertThat(exists(RecordingKeys.objectKey(id, RecordingKeys.Purpose.DATA))).isFalse();
  }

  @Test
  void aRecordingDeletedWhileItIsTranscribedEndsWithNoTranscriptNoLedgerAndNoAnnouncement() throws Exception {
    double before = deletedSkips();
    // Long enough (ten windows) that the deletion lands while Whisper works on it.
    RecordingStoredEvent stored = store(AudioFixtures.speech(AudioFixtures.FORMATS.get("mp3"), 16_000, 1, 300, 1, 4));
    String id = stored.recordingId();
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
        .until(() -> exists(JobLedger.key(id)));
    delete(id);
    await().atMost(Duration.ofSeconds(180)).until(() -> deletedSkips() > before);
    assertThat(count(TranscriptReadyEvent.class, id) + count(RecordingFailedEvent.class, id)).isZero();
    assertThat(exists(ObjectKeys.transcript(id))).as("the transcript written after the deletion is taken back")
        .isFalse();
    assertThat(exists(JobLedger.key(id))).isFalse();
    assertThat(exists(RecordingKeys.objectKey(id, RecordingKeys.Purpose.DATA))).as("no fresh key").isFalse();
  }

  @Test
  void aRecordingWhoseConsentDoesNotCoverTranscriptionEndsFailedSayingWhyWithNothingWritten() throws Exception {
    consent("cons-record-only", List.of("record"), false);
    consent("cons-revoked", List.of("record", "transcribe"), true);
    byte[] audio = AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 2, 1);
    String scopeId = storeOnly(audio);
    String revokedId = storeOnly(audio);
    String unknownId = storeOnly(audio);
    announce(scopeId, audio.length, "cons-record-only");
    announce(revokedId, audio.length, "cons-revoked");
    announce(unknownId, audio.length, "cons-never-captured");
    await().atMost(Duration.ofSeconds(120)).until(() -> count(RecordingFailedEvent.class, scopeId) == 1
        && count(RecordingFailedEvent.class, revokedId) == 1 && count(RecordingFailedEvent.class, unknownId) == 1);
    assertThat(failure(scopeId).stage()).isEqualTo(TranscriberStage.STAGE);
    assertThat(failure(scopeId).reason()).startsWith("consent-scope").contains("'transcribe'");
    assertThat(failure(revokedId).reason()).startsWith("consent-revoked");
    assertThat(failure(unknownId).reason()).startsWith("consent-missing");
    for (String id : List.of(scopeId, revokedId, unknownId)) {
      assertThat(count(TranscriptReadyEvent.class, id)).isZero();
      assertThat(exists(ObjectKeys.transcript(id))).isFalse();
      assertThat(exists(JobLedger.key(id))).as("not even an attempt is counted").isFalse();
      assertThat(failure(id).reason()).doesNotContain("client-it");
    }
    assertThat(runtime.registry().get("sessionflow.consent.refusals").tag("stage", "transcriber")
        .tag("reason", "consent-scope").counter().count()).isGreaterThanOrEqualTo(1);
  }

  /** The encrypted audio of a new recording in raw/, not yet announced. */
  static String storeOnly(byte[] audio) {
    String id = Ids.newId();
    DataKey key = runtime.keys().create(id, RecordingKeys.Purpose.AUDIO).join();
    runtime.keys().create(id, RecordingKeys.Purpose.DATA).join();
    var upload = runtime.objects().begin(key, ObjectKeys.raw(id), ObjectKeys.RAW, StorageConfig.MIN_PART_SIZE)
        .join();
    upload.writePart(audio, audio.length, true).join();
    upload.complete().join();
    return id;
  }

  @Test
  void aRecordingWithoutADataKeyIsNeverGivenOneAndFailsTakingBackItsLedger() throws Exception {
    String id = Ids.newId();
    DataKey key = runtime.keys().create(id, RecordingKeys.Purpose.AUDIO).join();
    byte[] audio = AudioFixtures.tone(AudioFixtures.FORMATS.get("wav-s16"), 16_000, 1, 2, 1);
    var upload = runtime.objects().begin(key, ObjectKeys.raw(id), ObjectKeys.RAW, StorageConfig.MIN_PART_SIZE)
        .join();
    upload.writePart(audio, audio.length, true).join();
    upload.complete().join();
    announce(id, audio.length);
    await().atMost(Duration.ofSeconds(120)).until(() -> count(RecordingFailedEvent.class, id) == 1);
    assertThat(failure(id).reason()).contains("missing");
    assertThat(exists(RecordingKeys.objectKey(id, RecordingKeys.Purpose.DATA))).isFalse();
    assertThat(exists(ObjectKeys.transcript(id))).isFalse();
    assertThat(exists(JobLedger.key(id))).isFalse();
  }

  @Test
  void aRecordingWhoseAudioWasPurgedWhileQueuedFailsAtOnceSayingSo() {
    // The retention sweep reached the recording while it waited: its key and audio are gone, a receipt says why.
    String id = Ids.newId();
    runtime.store().put("sessionflow", ObjectKeys.receipt(id),
        "{\"sequence\":7,\"receipt\":{\"reason\":\"retention\"}}".getBytes(StandardCharsets.UTF_8), Map.of())
        .join();
    announce(id, 10);
    // Gone without a receipt (a purge may be midway): retried, then failed saying what is missing.
    String vanished = Ids.newId();
    announce(vanished, 10);
    await().atMost(Duration.ofSeconds(60)).until(() -> count(RecordingFailedEvent.class, id) == 1
        && count(RecordingFailedEvent.class, vanished) == 1);
    RecordingFailedEvent failed = failure(id);
    assertThat(failed.reason()).contains("purged (retention) before it was transcribed");
    assertThat(failed.attempts()).isEqualTo(1);
    assertThat(failure(vanished).reason()).contains("missing").doesNotContain("purged");
    assertThat(failure(vanished).attempts()).isGreaterThan(1);
  }

  private static RecordingFailedEvent failure(String id) {
    return SEEN.stream().filter(RecordingFailedEvent.class::isInstance).map(RecordingFailedEvent.class::cast)
        .filter(f -> f.recordingId().equals(id)).findFirst().orElseThrow();
  }
}
