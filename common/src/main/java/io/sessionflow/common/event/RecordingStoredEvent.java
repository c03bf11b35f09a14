package io.sessionflow.common.event;

import java.time.Instant;

/**
 * A recording's audio is complete and durable, encrypted, in the raw area.
 *
 * @param recordingId     the recording (= the upload id)
 * @param practiceId      the owning practice (a pseudonymous id)
 * @param therapistId     the therapist who uploaded it (a pseudonymous id)
 * @param consentId       the consent it was recorded under
 * @param objectKey       the raw object's key
 * @param plaintextBytes  audio length in bytes
 * @param partSize        plaintext bytes per encrypted part (all parts but the last)
 * @param plaintextSha256 hex SHA-256 of the audio, for integrity checks downstream
 * @param mediaType       sniffed media type such as {@code audio/wav}
 * @param source          how it arrived: {@code tus}, {@code put} or {@code import}
 */
public record RecordingStoredEvent(int schemaVersion, Instant occurredAt, String recordingId, String practiceId,
    String therapistId, String consentId, String objectKey, long plaintextBytes, long partSize,
    String plaintextSha256, String mediaType, String source) implements PipelineEvent {

  public static final String TYPE = "recording.stored";

  @Override
  public String key() {
    return recordingId;
  }

  @Override
  public Topic topic() {
    return Topic.RECORDING_STORED;
  }
}
