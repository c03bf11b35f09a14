package io.sessionflow.common.storage;

import io.sessionflow.common.crypto.Ids;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Who owns each recording, so a deletion request for a consent, a client or a therapist can find
 * every recording it covers long after the upload's own state is gone. One empty-bodied object per
 * recording whose key is the ownership path {@code index/PRACTICE/THERAPIST/CONSENT/RECORDING}:
 * ids only, no PHI, and a listing of one practice answers every lookup without reading a single
 * object. Written when the upload is created (an upload in progress is found like any recording;
 * a tus partial, which has no consent until it is joined, is indexed under {@link #PENDING}; an
 * archive entry when it is announced), and beside it {@code owners/RECORDING} points at the
 * entry, so a deletion of one recording finds its entry with one read instead of a listing.
 */
public final class RecordingIndex {
  public static final String PREFIX = "index/";
  public static final String OWNERS_PREFIX = "owners/";
  /** The consent part of an entry whose upload has no consent yet (never a valid id: ids start alphanumeric). */
  public static final String PENDING = "_pending";

  private final ObjectStore store;
  private final String bucket;

  public RecordingIndex(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  /** One recording's owners. */
  public record Entry(String practiceId, String therapistId, String consentId, String recordingId) {
    public Entry {
      Ids.requireId(practiceId, "practice id");
      Ids.requireId(therapistId, "therapist id");
      if (!PENDING.equals(consentId)) {
        Ids.requireId(consentId, "consent id");
      }
      Ids.requireId(recordingId, "recording id");
    }

    /** The entry of an upload, pending while it has no consent. */
    public static Entry of(String practiceId, String therapistId, String consentId, String recordingId) {
      return new Entry(practiceId, therapistId, consentId == null ? PENDING : consentId, recordingId);
    }

    public boolean pending() {
      return PENDING.equals(consentId);
    }

    /** Every object that records this entry (the entry and its owner pointer). */
    public List<String> keys() {
      return List.of(key(), ownersKey(recordingId));
    }

    public String key() {
      return PREFIX + practiceId + "/" + therapistId + "/" + consentId + "/" + recordingId;
    }

    /** The entry a key names, or empty for a key that is not an index entry. */
    public static Optional<Entry> parse(String key) {
      if (!key.startsWith(PREFIX)) {
        return Optional.empty();
      }
      String[] parts = key.substring(PREFIX.length()).split("/", -1);
      if (parts.length != 4 || !Ids.isValid(parts[0]) || !Ids.isValid(parts[1]) || !Ids.isValid(parts[3])
          || !(Ids.isValid(parts[2]) || PENDING.equals(parts[2]))) {
        return Optional.empty();
      }
      return Optional.of(new Entry(parts[0], parts[1], parts[2], parts[3]));
    }
  }

  public static String ownersKey(String recordingId) {
    return OWNERS_PREFIX + Ids.requireId(recordingId, "recording id");
  }

  /** Records a recording's owners (entry, then pointer); writing it again is harmless. */
  public CompletableFuture<Void> record(Entry entry) {
    return store.put(bucket, entry.key(), "{}".getBytes(StandardCharsets.UTF_8), Map.of("sf-kind", "index"))
        .thenCompose(info -> store.put(bucket, ownersKey(entry.recordingId()),
            entry.key().getBytes(StandardCharsets.UTF_8), Map.of("sf-kind", "index")))
        .thenApply(info -> null);
  }

  /** Every recording of a practice. */
  public CompletableFuture<List<Entry>> practice(String practiceId) {
    return store.listKeys(bucket, PREFIX + Ids.requireId(practiceId, "practice id") + "/")
        .thenApply(keys -> keys.stream().map(Entry::parse).flatMap(Optional::stream).toList());
  }

  /** Every recording a therapist made in a practice. */
  public CompletableFuture<List<Entry>> therapist(String practiceId, String therapistId) {
    return store.listKeys(bucket, PREFIX + Ids.requireId(practiceId, "practice id") + "/"
        + Ids.requireId(therapistId, "therapist id") + "/")
        .thenApply(keys -> keys.stream().map(Entry::parse).flatMap(Optional::stream).toList());
  }

  /** The recording's entry through its owner pointer; empty when it has none. */
  public CompletableFuture<Optional<Entry>> owners(String recordingId) {
    return store.get(bucket, ownersKey(recordingId))
        .thenApply(bytes -> Entry.parse(new String(bytes, StandardCharsets.UTF_8))
            .filter(entry -> entry.recordingId().equals(recordingId)))
        .exceptionallyCompose(error -> Tombstones.isNotFound(error)
            ? CompletableFuture.completedFuture(Optional.empty())
            : CompletableFuture.failedFuture(io.sessionflow.common.failure.Failures.unwrap(error)));
  }

  /** Removes the entry and its pointer (a pointer since rewritten for another entry is left). */
  public CompletableFuture<Void> delete(Entry entry) {
    return store.delete(bucket, entry.key()).thenCompose(ignored -> owners(entry.recordingId()))
        .thenCompose(current -> current.isEmpty() || current.get().equals(entry)
            ? store.delete(bucket, ownersKey(entry.recordingId())) : CompletableFuture.completedFuture(null));
  }
}
