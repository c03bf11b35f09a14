package io.sessionflow.ingest.upload;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.DataKey;
import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.crypto.PartBinding;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where uploads live in object storage:
 * <pre>
 *   raw/ID                  the recording's encrypted audio (multipart object)
 *   uploads/ID/state.json   {@link UploadState} (ids, sizes, part ETags; no PHI)
 *   uploads/ID/tail.OFFSET  received bytes short of a full part, encrypted; OFFSET is the
 *                           state's offset, so a state only ever reads the tail written with it
 *   uploads/ID/metadata     the client's Upload-Metadata (file name, type), encrypted
 * </pre>
 */
public final class UploadStore {
  public static final String UPLOADS_PREFIX = "uploads/";
  private static final ObjectMapper JSON = EventCodec.mapper();

  private final ObjectStore store;
  private final String bucket;
  private final EncryptedObjects objects;

  public UploadStore(ObjectStore store, String bucket, EncryptedObjects objects) {
    this.store = store;
    this.bucket = bucket;
    this.objects = objects;
  }

  public static String rawKey(String id) {
    return io.sessionflow.common.storage.ObjectKeys.raw(id);
  }

  static String stateKey(String id) {
    return UPLOADS_PREFIX + Ids.requireId(id, "upload id") + "/state.json";
  }

  static String tailKey(String id, long offset) {
    return UPLOADS_PREFIX + id + "/tail." + offset;
  }

  static String metadataKey(String id) {
    return UPLOADS_PREFIX + id + "/metadata";
  }

  public ObjectStore objectStore() {
    return store;
  }

  public EncryptedObjects objects() {
    return objects;
  }

  public String bucket() {
    return bucket;
  }

  /** Writes a new upload's state; fails if the id is taken. */
  public CompletableFuture<Void> create(UploadState state) {
    return store.putIfAbsent(bucket, stateKey(state.id()), toJson(state), Map.of()).thenApply(info -> null);
  }

  public CompletableFuture<Void> save(UploadState state) {
    return store.put(bucket, stateKey(state.id()), toJson(state), Map.of()).thenApply(info -> null);
  }

  /** The upload's state, or empty when there is none (never created, or cleaned up). */
  public CompletableFuture<Optional<UploadState>> load(String id) {
    if (!Ids.isValid(id)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return store.get(bucket, stateKey(id)).thenApply(bytes -> Optional.of(fromJson(bytes)))
        .exceptionallyCompose(e -> notFound(e) ? CompletableFuture.completedFuture(Optional.empty())
            : CompletableFuture.failedFuture(Failures.unwrap(e)));
  }

  /**
   * Stores the tail encrypted, bound to the part it will become, under a key named by the state's
   * offset. Written before the state that points at it; if that state write never happens (the
   * request died, storage failed), the state in force still points at its own tail.
   */
  public CompletableFuture<Void> saveTail(DataKey key, UploadState state, byte[] buffer, int length) {
    if (length == 0) {
      return CompletableFuture.completedFuture(null);
    }
    byte[] ciphertext = key.encryptPart(tailBinding(state), buffer, 0, length);
    return store.put(bucket, tailKey(state.id(), state.offset()), ciphertext, Map.of()).thenApply(info -> null);
  }

  /**
   * Deletes the tails of earlier offsets, once {@code state} is saved. Never a tail of a later
   * offset: should another writer have taken the upload over meanwhile, its tail stays.
   */
  public CompletableFuture<Void> dropStaleTails(UploadState state) {
    String prefix = UPLOADS_PREFIX + state.id() + "/tail.";
    return store.listKeys(bucket, prefix).thenCompose(keys -> {
      CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
      for (String stale : keys.stream().filter(k -> olderThan(k.substring(prefix.length()), state)).toList()) {
        all = all.thenCompose(ignored -> store.delete(bucket, stale));
      }
      return all;
    });
  }

  private static boolean olderThan(String offset, UploadState state) {
    try {
      long at = Long.parseLong(offset);
      return at < state.offset() || (state.tailLength() == 0 && at == state.offset());
    } catch (NumberFormatException e) {
      return false;
    }
  }

  public CompletableFuture<byte[]> loadTail(DataKey key, UploadState state) {
    if (state.tailLength() == 0) {
      return CompletableFuture.completedFuture(new byte[0]);
    }
    return store.get(bucket, tailKey(state.id(), state.offset())).thenApply(ciphertext -> {
      byte[] tail = key.decryptPart(tailBinding(state), ciphertext);
      if (tail.length != state.tailLength()) {
        throw new StorageException("tail of upload " + state.id() + " holds " + tail.length + " bytes, state says "
            + state.tailLength(), 0, false, null);
      }
      return tail;
    });
  }

  private static PartBinding tailBinding(UploadState state) {
    return new PartBinding(state.id(), "upload-tail", state.parts().size() + 1, false);
  }

  public CompletableFuture<Void> saveMetadata(DataKey key, String id, Map<String, String> metadata) {
    try {
      return objects.put(key, metadataKey(id), "upload-meta", JSON.writeValueAsBytes(metadata))
          .thenApply(info -> null);
    } catch (JsonProcessingException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  public CompletableFuture<Void> deleteMetadata(String id) {
    return store.delete(bucket, metadataKey(id));
  }

  /** The client's Upload-Metadata, decrypted; empty when it sent none. */
  public CompletableFuture<Map<String, String>> loadMetadata(DataKey key, String id) {
    return objects.readAll(key, metadataKey(id), "upload-meta").<Map<String, String>>thenApply(bytes -> {
      try {
        return JSON.readValue(bytes, new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { });
      } catch (IOException e) {
        throw new StorageException("metadata of upload " + id + " is unreadable", 0, false, e);
      }
    }).exceptionallyCompose(e -> notFound(e) ? CompletableFuture.completedFuture(Map.of())
        : CompletableFuture.failedFuture(Failures.unwrap(e)));
  }

  /**
   * Removes everything the upload keeps beside the raw object (tails, metadata), the state last.
   * The lock is its holder's to release.
   */
  public CompletableFuture<Void> deleteUploadObjects(String id) {
    String prefix = UPLOADS_PREFIX + Ids.requireId(id, "upload id") + "/";
    return store.listKeys(bucket, prefix).thenCompose(keys -> {
      CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
      for (String key : keys.stream().filter(k -> !k.equals(stateKey(id)) && !k.equals(UploadLock.key(id)))
          .toList()) {
        all = all.thenCompose(ignored -> store.delete(bucket, key));
      }
      return all.thenCompose(ignored -> store.delete(bucket, stateKey(id)));
    });
  }

  private static boolean notFound(Throwable e) {
    return Failures.unwrap(e) instanceof StorageException se && se.isNotFound();
  }

  private static byte[] toJson(UploadState state) {
    try {
      return JSON.writeValueAsBytes(state);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise upload state", e);
    }
  }

  private static UploadState fromJson(byte[] bytes) {
    try {
      return JSON.readValue(bytes, UploadState.class);
    } catch (IOException e) {
      throw new StorageException("upload state is unreadable", 0, false, e);
    }
  }
}
