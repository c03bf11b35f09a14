package io.sessionflow.common.storage;

import io.sessionflow.common.crypto.Ids;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Who owns each stored recording, so a deletion request for a consent, a client or a therapist
 * can find every recording it covers long after the upload's own state is gone. One empty-bodied
 * object per recording whose key is the ownership path
 * {@code index/PRACTICE/THERAPIST/CONSENT/RECORDING}: ids only, no PHI, and a listing of one
 * practice answers every lookup without reading a single object.
 */
public final class RecordingIndex {
  public static final String PREFIX = "index/";

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
      Ids.requireId(consentId, "consent id");
      Ids.requireId(recordingId, "recording id");
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
      if (parts.length != 4 || !List.of(parts).stream().allMatch(Ids::isValid)) {
        return Optional.empty();
      }
      return Optional.of(new Entry(parts[0], parts[1], parts[2], parts[3]));
    }
  }

  /** Records a recording's owners; writing it again is harmless. */
  public CompletableFuture<Void> record(Entry entry) {
    return store.put(bucket, entry.key(), "{}".getBytes(StandardCharsets.UTF_8), Map.of("sf-kind", "index"))
        .thenApply(info -> null);
  }

  /** Every recording of a practice. */
  public CompletableFuture<List<Entry>> practice(String practiceId) {
    return store.listKeys(bucket, PREFIX + Ids.requireId(practiceId, "practice id") + "/")
        .thenApply(keys -> keys.stream().map(Entry::parse).flatMap(Optional::stream).toList());
  }

  public CompletableFuture<Void> delete(Entry entry) {
    return store.delete(bucket, entry.key());
  }
}
