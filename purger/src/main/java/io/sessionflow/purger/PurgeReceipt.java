package io.sessionflow.purger;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * What one purge deleted and how it checked, written to the audit chain and served as the
 * recording's deletion receipt. Ids, object keys, version ids, sizes and ciphertext hashes only:
 * no PHI, no plaintext, nothing a key could decrypt.
 *
 * @param receiptId           unique id of this receipt
 * @param recordingId         the recording purged
 * @param reason              {@code transcribed}, {@code retention}, {@code expired-upload}, {@code orphan}
 *                            or {@code deletion-request}
 * @param requestId           the deletion request, for {@code deletion-request}
 * @param scope               the deletion request's scope, for {@code deletion-request}
 * @param transcriptDurableAt when the transcript became durable, if there was one
 * @param startedAt           when the purge first started (it may have been resumed since)
 * @param finishedAt          when it was verified
 * @param component           which process did it
 * @param alreadyGone         nothing was left to delete: an earlier run or another component did it
 * @param deleted             every object version, delete marker, multipart upload and key deleted
 * @param verification        the checks run from the outside after deleting
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PurgeReceipt(String receiptId, String recordingId, String reason, String requestId, String scope,
    Instant transcriptDurableAt, Instant startedAt, Instant finishedAt, String component, boolean alreadyGone,
    List<DeletedItem> deleted, Verification verification) {

  public PurgeReceipt {
    deleted = List.copyOf(deleted);
  }

  /**
   * One thing deleted.
   *
   * @param kind             {@code raw-version}, {@code raw-delete-marker}, {@code multipart-upload},
   *                         {@code upload-leftover}, {@code audio-key}, {@code data-key}, {@code transcript},
   *                         {@code transcript-ledger}, {@code analysis}, {@code index-entry}
   * @param versionId        the version id, or the multipart upload id; null on an unversioned store
   * @param bytes            ciphertext bytes (0 for markers and unfinished multipart uploads)
   * @param ciphertextSha256 hex SHA-256 of the stored (encrypted) bytes, where there were any
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DeletedItem(String kind, String bucket, String key, String versionId, long bytes,
      String ciphertextSha256, Instant lastModified) {
  }

  /**
   * The outside checks after deleting: listings for the exact keys come back empty, a read of
   * each former version fails, and the wrapped key is gone so nothing is left to unwrap.
   *
   * @param passed every check held
   * @param checks each check and its outcome, one line each
   */
  public record Verification(boolean passed, List<String> checks) {
    public Verification {
      checks = List.copyOf(checks);
    }
  }
}
