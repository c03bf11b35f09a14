package io.sessionflow.common.event;

import java.time.Duration;
import java.util.Optional;

/**
 * The pipeline's topics, in one place. Retention: pipeline events are kept long enough to rebuild
 * the status view and to replay after an outage; the audit topic is never deleted by time.
 */
public enum Topic {
  RECORDING_STORED("sessionflow.recording.stored", Duration.ofDays(14)),
  TRANSCRIPT_READY("sessionflow.transcript.ready", Duration.ofDays(14)),
  ANALYSIS_READY("sessionflow.analysis.ready", Duration.ofDays(14)),
  AUDIO_PURGED("sessionflow.audio.purged", Duration.ofDays(30)),
  DELETION_REQUESTED("sessionflow.deletion.requested", Duration.ofDays(30)),
  RECORDING_FAILED("sessionflow.recording.failed", Duration.ofDays(30)),
  AUDIT("sessionflow.audit", null);

  private final String topicName;
  private final Duration retention;

  Topic(String topicName, Duration retention) {
    this.topicName = topicName;
    this.retention = retention;
  }

  public String topicName() {
    return topicName;
  }

  /** Empty means kept forever ({@code retention.ms=-1}). */
  public Optional<Duration> retention() {
    return Optional.ofNullable(retention);
  }

  public static Optional<Topic> byName(String name) {
    for (Topic topic : values()) {
      if (topic.topicName.equals(name)) {
        return Optional.of(topic);
      }
    }
    return Optional.empty();
  }
}
