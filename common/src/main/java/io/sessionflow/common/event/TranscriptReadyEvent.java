package io.sessionflow.common.event;

import java.time.Instant;

/**
 * A recording's encrypted transcript is durable; its raw audio may now be purged.
 *
 * @param transcriptKey  the transcript object's key
 * @param audioSeconds   length of the audio transcribed
 * @param segments       number of transcript segments (never their text)
 * @param language       detected or configured language code
 * @param model          model name
 */
public record TranscriptReadyEvent(int schemaVersion, Instant occurredAt, String recordingId, String practiceId,
    String therapistId, String transcriptKey, double audioSeconds, int segments, String language, String model)
    implements PipelineEvent {

  public static final String TYPE = "transcript.ready";

  @Override
  public String key() {
    return recordingId;
  }

  @Override
  public Topic topic() {
    return Topic.TRANSCRIPT_READY;
  }
}
