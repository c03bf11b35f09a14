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
 *   uploads/ID/tail         received bytes short of a full part, encrypted
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

  static String tailKey(String id) {
    return UPLOADS_PREFIX + id + "/tail";
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

  /** Stores the tail encrypted, bound to the part it will become. */
  public CompletableFuture<Void> saveTail(DataKey key, UploadState state, byte[] buffer, int length) {
    if (length == 0) {
      return store.delete(bucket, tailKey(state.id()));
    }
    byte[] ciphertext = key.encryptPart(tailBinding(state), buffer, 0, length);
    return store.put(bucket, tailKey(state.id()), ciphertext, Map.of()).thenApply(info -> null);
  }

  public CompletableFuture<byte[]> loadTail(DataKey key, UploadState state) {
    if (state.tailLength() == 0) {
      return CompletableFuture.completedFuture(new byte[0]);
    }
    return store.get(bucket, tailKey(state.id())).thenApply(ciphertext -> {
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

  /** Removes the upload's state, tail and metadata (not the raw object). */
  public CompletableFuture<Void> deleteUploadObjects(String id) {
    return store.delete(bucket, tailKey(id))
        .thenCompose(ignored -> store.delete(bucket, metadataKey(id)))
        .thenCompose(ignored -> store.delete(bucket, stateKey(id)));
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
