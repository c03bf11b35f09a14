package io.sessionflow.common.event;

import java.time.Instant;

/**
 * A recording's raw audio and its data key are gone and verified gone.
 *
 * @param receiptKey          the deletion receipt's object key
 * @param transcriptDurableAt when the transcript became durable, if there was one
 * @param reason              why: {@code transcribed}, {@code retention}, {@code deletion-request}, {@code orphan}
 */
public record AudioPurgedEvent(int schemaVersion, Instant occurredAt, String recordingId, String receiptKey,
    Instant transcriptDurableAt, String reason) implements PipelineEvent {

  public static final String TYPE = "audio.purged";

  @Override
  public String key() {
    return recordingId;
  }

  @Override
  public Topic topic() {
    return Topic.AUDIO_PURGED;
  }
}
