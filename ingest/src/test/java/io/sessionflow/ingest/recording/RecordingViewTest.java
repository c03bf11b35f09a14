package io.sessionflow.ingest.recording;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.event.AnalysisReadyEvent;
import io.sessionflow.common.event.AudioPurgedEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.TranscriptReadyEvent;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status the view derives from each event, and what a deletion overrides. */
class RecordingViewTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private final RecordingView view = new RecordingView();
  private long offset;

  private void apply(PipelineEvent event) {
    view.apply(new ConsumedEvent(event, event.topic().topicName(), 0, offset++, 1)).toCompletableFuture().join();
  }

  private static RecordingStoredEvent stored(String id) {
    return new RecordingStoredEvent(1, T0, id, "prac", "ther", "cons", "raw/" + id, 10, 5L << 20, "ab", "audio/wav",
        "tus");
  }

  private static TranscriptReadyEvent transcribed(String id) {
    return new TranscriptReadyEvent(1, T0.plusSeconds(60), id, "prac", "ther", "transcripts/" + id, 2.5, 1, "en",
        "test");
  }

  private static AnalysisReadyEvent analyzed(String id) {
    return new AnalysisReadyEvent(1, T0.plusSeconds(120), id, "prac", "ther", "analyses/" + id, 0);
  }

  private static AudioPurgedEvent purged(String id, String reason) {
    return new AudioPurgedEvent(1, T0.plusSeconds(180), id, "receipts/" + id, T0.plusSeconds(60), reason);
  }

  private static RecordingFailedEvent failed(String id) {
    return new RecordingFailedEvent(1, T0.plusSeconds(30), id, "analyzer", "boom", 3, "sessionflow.transcript.ready");
  }

  private RecordingView.Entry entry(String id) {
    return view.find(id).orElseThrow();
  }

  private List<String> history(String id) {
    return entry(id).toJson().getJsonArray("history").stream().map(h -> ((JsonObject) h).getString("status"))
        .toList();
  }

  @Test
  void aPurgeAfterTranscriptionKeepsTheTranscriptAndTheStatus() {
    apply(stored("r1"));
    apply(transcribed("r1"));
    apply(analyzed("r1"));
    apply(purged("r1", "transcribed"));
    RecordingView.Entry entry = entry("r1");
    assertThat(entry.toJson().getString("status")).isEqualTo("ANALYZED");
    assertThat(entry.toJson().getString("audio")).isEqualTo("PURGED");
    assertThat(entry.hasTranscript()).isTrue();
    assertThat(entry.hasAnalysis()).isTrue();
    assertThat(entry.hasReceipt()).isTrue();
    assertThat(entry.isDeleted()).isFalse();
    assertThat(history("r1")).containsExactly("STORED", "TRANSCRIBED", "ANALYZED", "AUDIO_PURGED");
  }

  @Test
  void aPurgeOnADeletionRequestDeletesEverything() {
    apply(stored("r2"));
    apply(transcribed("r2"));
    apply(analyzed("r2"));
    apply(purged("r2", "deletion-request"));
    RecordingView.Entry entry = entry("r2");
    assertThat(entry.toJson().getString("status")).isEqualTo("DELETED");
    assertThat(entry.toJson().getString("audio")).isEqualTo("PURGED");
    assertThat(entry.isDeleted()).isTrue();
    assertThat(entry.hasTranscript()).isFalse();
    assertThat(entry.hasAnalysis()).isFalse();
    assertThat(entry.hasReceipt()).isTrue();
    assertThat(history("r2")).containsExactly("STORED", "TRANSCRIBED", "ANALYZED", "DELETED");
  }

  @Test
  void deletedOverridesFailedAndStaysWhateverArrivesLater() {
    apply(stored("r3"));
    apply(failed("r3"));
    assertThat(entry("r3").toJson().getString("status")).isEqualTo("FAILED");
    apply(purged("r3", "deletion-request"));
    assertThat(entry("r3").toJson().getString("status")).isEqualTo("DELETED");
    // Topics are read side by side: a transcript or failure may be read after the deletion.
    apply(transcribed("r3"));
    apply(failed("r3"));
    RecordingView.Entry entry = entry("r3");
    assertThat(entry.toJson().getString("status")).isEqualTo("DELETED");
    assertThat(entry.hasTranscript()).isFalse();
    assertThat(history("r3")).containsExactly("STORED", "FAILED", "DELETED", "TRANSCRIBED", "FAILED");
  }

  @Test
  void otherPurgeReasonsLeaveAFailedRecordingFailed() {
    apply(stored("r4"));
    apply(failed("r4"));
    apply(purged("r4", "retention"));
    RecordingView.Entry entry = entry("r4");
    assertThat(entry.toJson().getString("status")).isEqualTo("FAILED");
    assertThat(entry.toJson().getString("audio")).isEqualTo("PURGED");
    assertThat(entry.isDeleted()).isFalse();
    assertThat(history("r4")).containsExactly("STORED", "FAILED", "AUDIO_PURGED");
  }
}
