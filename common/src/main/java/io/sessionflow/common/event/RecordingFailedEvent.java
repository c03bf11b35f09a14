package io.sessionflow.common.event;

import java.time.Instant;

/**
 * A dead letter: a stage gave up on a record.
 *
 * @param recordingId the record's key (the recording id where there is one)
 * @param stage       the stage that gave up, e.g. {@code transcriber}
 * @param reason      a short machine-readable reason code and detail; never PHI
 * @param attempts    how many times the stage tried
 * @param sourceTopic the topic of the record given up on
 */
public record RecordingFailedEvent(int schemaVersion, Instant occurredAt, String recordingId, String stage,
    String reason, int attempts, String sourceTopic) implements PipelineEvent {

  public static final String TYPE = "recording.failed";

  @Override
  public String key() {
    return recordingId;
  }

  @Override
  public Topic topic() {
    return Topic.RECORDING_FAILED;
  }
}
