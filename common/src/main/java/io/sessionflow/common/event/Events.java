package io.sessionflow.common.event;

import java.time.Clock;

/** Builds events stamped with the current schema version and the given clock. */
public final class Events {
  private Events() {
  }

  public static RecordingFailedEvent failed(Clock clock, String recordingId, String stage, String reason,
      int attempts, Topic source) {
    return new RecordingFailedEvent(PipelineEvent.CURRENT_SCHEMA_VERSION, clock.instant(), recordingId, stage,
        reason, attempts, source.topicName());
  }
}
