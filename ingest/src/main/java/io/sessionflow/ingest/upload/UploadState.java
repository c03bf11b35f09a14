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
 * @param partials   for a FINAL upload, the ids of the partial uploads it joined, in order (HEAD names them)
 * @param duplicateOf the recording this upload's bytes already were (same uploader, consent and SHA-256): the
 *                   bytes were not kept a second time and nothing was announced; null for an upload of its own
 */
public record UploadState(int version, String id, String practiceId, String therapistId, String consentId,
    Long length, long offset, long partSize, String multipartUploadId, List<CompletedPart> parts, long tailLength,
    Instant createdAt, Instant expiresAt, Concat concat, Status status, String sha256, String mediaType,
    boolean published, String source, List<String> partials, String duplicateOf) {

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
    partials = partials == null ? List.of() : List.copyOf(partials); // absent in states written before it
  }

  /** A new upload, receiving, of nothing yet. */
  public static UploadState receiving(String id, String practiceId, String therapistId, String consentId, Long length,
      long partSize, String multipartUploadId, Instant now, Instant expiresAt, Concat concat, String source) {
    return new UploadState(1, id, practiceId, therapistId, consentId, length, 0, partSize, multipartUploadId,
        List.of(), 0, now, expiresAt, concat, Status.RECEIVING, null, null, false, source, List.of(), null);
  }

  /**
   * A recording as {@code recording.stored} announced it, as the completed upload it was: what its
   * upload URL answers once the purge removed the upload's own objects with the audio.
   */
  public static UploadState recorded(io.sessionflow.common.event.RecordingStoredEvent stored) {
    return new UploadState(1, stored.recordingId(), stored.practiceId(), stored.therapistId(), stored.consentId(),
        stored.plaintextBytes(), stored.plaintextBytes(), stored.partSize(), null, List.of(), 0, stored.occurredAt(),
        stored.occurredAt(), Concat.NONE, Status.COMPLETED, stored.plaintextSha256(), stored.mediaType(), true,
        stored.source(), List.of(), null);
  }

  public boolean isDuplicate() {
    return duplicateOf != null;
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
        published, source, partials, duplicateOf);
  }

  public UploadState withLength(long newLength) {
    return new UploadState(version, id, practiceId, therapistId, consentId, newLength, offset, partSize,
        multipartUploadId, parts, tailLength, createdAt, expiresAt, concat, status, sha256, mediaType, published,
        source, partials, duplicateOf);
  }

  public UploadState completed(List<CompletedPart> allParts, String plaintextSha256, String sniffedType) {
    return new UploadState(version, id, practiceId, therapistId, consentId, length, length, partSize,
        multipartUploadId, allParts, 0, createdAt, expiresAt, concat, Status.COMPLETED, plaintextSha256,
        sniffedType, published, source, partials, duplicateOf);
  }

  /** The consent an archive entry was stored under, once its manifest named it (not yet announced). */
  public UploadState withConsent(String consent) {
    return new UploadState(version, id, practiceId, therapistId, consent, length, offset, partSize,
        multipartUploadId, parts, tailLength, createdAt, expiresAt, concat, status, sha256, mediaType, false, source,
        partials, duplicateOf);
  }

  public UploadState markPublished() {
    return new UploadState(version, id, practiceId, therapistId, consentId, length, offset, partSize,
        multipartUploadId, parts, tailLength, createdAt, expiresAt, concat, status, sha256, mediaType, true,
        source, partials, duplicateOf);
  }

  /** The partial uploads a FINAL upload joined. */
  public UploadState withPartials(List<String> ids) {
    return new UploadState(version, id, practiceId, therapistId, consentId, length, offset, partSize,
        multipartUploadId, parts, tailLength, createdAt, expiresAt, concat, status, sha256, mediaType, published,
        source, ids, duplicateOf);
  }

  /** Completed as a re-upload of {@code original}: answered (HEAD, PATCH) until {@code until}, then swept. */
  public UploadState duplicateOf(String original, Instant until) {
    return new UploadState(version, id, practiceId, therapistId, consentId, length, offset, partSize,
        multipartUploadId, List.of(), 0, createdAt, until, concat, status, sha256, mediaType, published, source,
        partials, original);
  }

  public List<CompletedPart> partsWith(CompletedPart part) {
    List<CompletedPart> next = new ArrayList<>(parts);
    next.add(part);
    return next;
  }
}
