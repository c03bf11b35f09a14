package io.sessionflow.purger.internal;

import java.time.Instant;
import java.util.List;

/**
 * What to purge and why.
 *
 * @param reason              {@code transcribed}, {@code retention}, {@code expired-upload}, {@code orphan},
 *                            {@code deletion-request}, {@code unconsented-import}
 * @param deleteDerived       also delete the transcript, analysis, data key and index entries (a deletion
 *                            request); otherwise only the raw audio, its leftovers and its audio key go
 * @param indexKeys           the recording's index entries to delete with it
 */
public record PurgeOrder(String recordingId, String reason, String requestId, String scope,
    Instant transcriptDurableAt, boolean deleteDerived, List<String> indexKeys) {

  public static final String TRANSCRIBED = "transcribed";
  public static final String RETENTION = "retention";
  public static final String EXPIRED_UPLOAD = "expired-upload";
  public static final String ORPHAN = "orphan";
  public static final String DELETION_REQUEST = "deletion-request";
  /** An archive entry whose manifest never gave it a consent within the grace. */
  public static final String UNCONSENTED_IMPORT = "unconsented-import";

  public PurgeOrder {
    indexKeys = List.copyOf(indexKeys);
  }

  /**
   * A recording that never got a transcript and never will (failed, expired, abandoned, orphaned):
   * its audio goes, and so do its data key and the transcriber's ledger, which would otherwise
   * outlive it with nothing to encrypt or count. Its index entry stays, so a later deletion
   * request for its consent, client or therapist still finds it and gets a receipt.
   */
  public static PurgeOrder neverTranscribed(String recordingId, String reason) {
    return new PurgeOrder(recordingId, reason, null, null, null, true, List.of());
  }

  public static PurgeOrder audioOnly(String recordingId, String reason, Instant transcriptDurableAt) {
    return new PurgeOrder(recordingId, reason, null, null, transcriptDurableAt, false, List.of());
  }
}
