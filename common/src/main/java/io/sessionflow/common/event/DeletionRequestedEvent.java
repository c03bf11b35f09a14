package io.sessionflow.common.event;

import java.time.Instant;

/**
 * Someone with the right asked for data to be deleted.
 *
 * @param requestId   id of this request, for its receipt
 * @param scope       what {@code subjectId} names
 * @param subjectId   the recording, consent, client pseudonym or therapist id
 * @param practiceId  the practice the subject belongs to
 * @param requestedBy the caller's subject id
 * @param capturedBy  when set (a therapist deleting a client), the request covers only the consents
 *                    this therapist captured and what was recorded under them, never a colleague's;
 *                    null covers the whole practice (a clinic admin's request)
 */
public record DeletionRequestedEvent(int schemaVersion, Instant occurredAt, String requestId, Scope scope,
    String subjectId, String practiceId, String requestedBy, String capturedBy) implements PipelineEvent {

  public static final String TYPE = "deletion.requested";

  /** A request not limited to one therapist's consents. */
  public DeletionRequestedEvent(int schemaVersion, Instant occurredAt, String requestId, Scope scope,
      String subjectId, String practiceId, String requestedBy) {
    this(schemaVersion, occurredAt, requestId, scope, subjectId, practiceId, requestedBy, null);
  }

  /** What a deletion request covers. */
  public enum Scope {
    RECORDING, CONSENT, CLIENT, THERAPIST
  }

  /** A request to delete one recording, with a new request id. */
  public static DeletionRequestedEvent ofRecording(Instant at, String recordingId, String practiceId,
      String requestedBy) {
    return new DeletionRequestedEvent(CURRENT_SCHEMA_VERSION, at, io.sessionflow.common.crypto.Ids.newId(),
        Scope.RECORDING, recordingId, practiceId, requestedBy, null);
  }

  /** The recording for a recording's deletion; the request id otherwise (never a client pseudonym). */
  @Override
  public String key() {
    return scope == Scope.RECORDING ? subjectId : requestId;
  }

  @Override
  public Topic topic() {
    return Topic.DELETION_REQUESTED;
  }
}
