package io.sessionflow.common.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventCodecTest {
  private static final Instant AT = Instant.parse("2026-11-26T10:15:30.123Z");
  private static final int V = PipelineEvent.CURRENT_SCHEMA_VERSION;

  static List<PipelineEvent> oneOfEach() {
    return List.of(
        new RecordingStoredEvent(V, AT, "rec1", "prac1", "ther1", "cons1", "raw/rec1", 1234, 8 << 20, "ab".repeat(32),
            "audio/wav", "tus"),
        new TranscriptReadyEvent(V, AT, "rec1", "prac1", "ther1", "transcripts/rec1", 61.5, 12, "en", "tiny"),
        new AnalysisReadyEvent(V, AT, "rec1", "prac1", "ther1", "analyses/rec1", 2),
        new AudioPurgedEvent(V, AT, "rec1", "audit/receipts/rec1", AT.minusSeconds(4), "transcribed"),
        new DeletionRequestedEvent(V, AT, "req1", DeletionRequestedEvent.Scope.CONSENT, "cons1", "prac1", "ther1"),
        new RecordingFailedEvent(V, AT, "rec1", "transcriber", "DecodeException: no audio stream", 3,
            Topic.RECORDING_STORED.topicName()),
        new AuditEvent(V, AT, "aud1", "ther1", "therapist", "transcript.read", "recording", "rec1", "ok"));
  }

  @Test
  void everyEventRoundTripsAndGoesToItsOwnTopic() {
    List<PipelineEvent> events = oneOfEach();
    assertThat(events.stream().map(PipelineEvent::topic).distinct()).hasSize(Topic.values().length);
    for (PipelineEvent event : events) {
      byte[] json = EventCodec.encode(event);
      assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"schemaVersion\":1").contains("\"type\":");
      assertThat(EventCodec.decode(json)).isEqualTo(event);
    }
  }

  @Test
  void timestampsAreIsoStrings() {
    assertThat(EventCodec.toJson(oneOfEach().get(0))).contains("\"occurredAt\":\"2026-11-26T10:15:30.123Z\"");
  }

  @Test
  void newerWritersFieldsAreIgnored() {
    String json = EventCodec.toJson(oneOfEach().get(2)).replace("{", "{\"addedLater\":[1,2],");
    assertThat(EventCodec.decode(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(oneOfEach().get(2));
  }

  @Test
  void rejectsWhatItCannotReadWithoutEchoingContent() {
    assertThatThrownBy(() -> EventCodec.decode("my client Jane Doe said".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(EventFormatException.class)
        .hasMessageContaining("not JSON")
        .hasMessageNotContaining("Jane");
    assertThatThrownBy(() -> EventCodec.decode("{\"type\":\"audit\"}".getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("no schemaVersion");
    assertThatThrownBy(() -> EventCodec.decode("{\"type\":\"audit\",\"schemaVersion\":99}"
        .getBytes(StandardCharsets.UTF_8))).hasMessageContaining("unsupported schemaVersion 99");
    assertThatThrownBy(() -> EventCodec.decode("{\"type\":\"Jane Doe\",\"schemaVersion\":1}"
        .getBytes(StandardCharsets.UTF_8))).hasMessageNotContaining("Jane").hasMessageContaining("(unrecognised)");
    assertThatThrownBy(() -> EventCodec.decode(new byte[0])).hasMessageContaining("empty");
  }

  @Test
  void auditTopicIsKeptForeverOthersExpire() {
    assertThat(Topic.AUDIT.retention()).isEmpty();
    assertThat(Topic.RECORDING_STORED.retention()).isPresent();
    assertThat(Topic.byName("sessionflow.audit")).contains(Topic.AUDIT);
    assertThat(Topic.byName("nope")).isEmpty();
  }
}
