package io.sessionflow.ingest.upload;

import io.sessionflow.common.storage.CompletedPart;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable state of one upload, kept in object storage ({@code uploads/ID/state.json}) so any
 * ingest replica can continue it after a restart (the tusd s3store design). No PHI: the original
 * file name and type live only encrypted, beside it. Invariant: {@code offset = parts * partSize +
 * tailLength}; the tail (received bytes not yet a full part) is stored encrypted beside the state.
 *
 * @param length     total bytes, or null while the client defers the length
 * @param concat     NONE, PARTIAL (a piece of a parallel upload) or FINAL (joins partials)
 * @param published  whether {@code recording.stored} was acknowledged by Kafka
 */
public record UploadState(int version, String id, String practiceId, String therapistId, String consentId,
    Long length, long offset, long partSize, String multipartUploadId, List<CompletedPart> parts, long tailLength,
    Instant createdAt, Instant expiresAt, Concat concat, Status status, String sha256, String mediaType,
    boolean published, String source) {

  /** Whether this upload is a recording of its own or a piece of a parallel one. */
  public enum Concat {
    NONE, PARTIAL, FINAL
  }

  /** RECEIVING until every byte is stored and the multipart upload completed. */
  public enum Status {
    RECEIVING, COMPLETED
  }

  public UploadState {
    parts = List.copyOf(parts);
  }

  public boolean isComplete() {
    return status == Status.COMPLETED;
  }

  public boolean lengthKnown() {
    return length != null;
  }

  public UploadState withProgress(List<CompletedPart> newParts, long newTailLength, Instant newExpiry) {
    long newOffset = newParts.size() * partSize + newTailLength;
    return new UploadState(version, id, practiceId, therapistId, consentId, length, newOffset, partSize,
        multipartUploadId, newParts, newTailLength, createdAt, newExpiry, concat, status, sha256, mediaType,
        published, source);
  }

  public UploadState withLength(long newLength) {
    return new UploadState(version, id, practiceId, therapistId, consentId, newLength, offset, partSize,
        multipartUploadId, parts, tailLength, createdAt, expiresAt, concat, status, sha256, mediaType, published,
        source);
  }

  public UploadState completed(List<CompletedPart> allParts, String plaintextSha256, String sniffedType) {
    return new UploadState(version, id, practiceId, therapistId, consentId, length, length, partSize,
        multipartUploadId, allParts, 0, createdAt, expiresAt, concat, Status.COMPLETED, plaintextSha256,
        sniffedType, published, source);
  }

  public UploadState markPublished() {
    return new UploadState(version, id, practiceId, therapistId, consentId, length, offset, partSize,
        multipartUploadId, parts, tailLength, createdAt, expiresAt, concat, status, sha256, mediaType, true,
        source);
  }

  public List<CompletedPart> partsWith(CompletedPart part) {
    List<CompletedPart> next = new ArrayList<>(parts);
    next.add(part);
    return next;
  }
}
