package io.sessionflow.common.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import io.sessionflow.common.storage.StorageException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Per-recording data keys (DEKs), one per purpose: the {@link Purpose#AUDIO audio key} encrypts
 * the raw recording and its upload leftovers; the {@link Purpose#DATA data key} encrypts what is
 * derived from it (transcript, analysis, the encrypted file name). Purging the audio after
 * transcription destroys the audio key alone; deleting the recording destroys both. A DEK is an
 * AES256_GCM_HKDF_1MB streaming-AEAD keyset, stored only wrapped by the KEK (bound to its
 * recording id and purpose) under {@code keys/} in the key bucket. Destroying it (every version
 * of its object) crypto-shreds every copy of what it encrypted. KEK calls may block on a KMS
 * round trip, so they run on the given executor.
 */
public final class RecordingKeys {
  public static final String PREFIX = "keys/";

  /** What a key encrypts. */
  public enum Purpose {
    AUDIO, DATA;

    String suffix() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final ObjectStore store;
  private final String bucket;
  private final Aead kek;
  private final Executor blocking;

  public RecordingKeys(ObjectStore store, String bucket, Aead kek, Executor blocking) {
    KeyEncryptionKeys.init();
    this.store = store;
    this.bucket = bucket;
    this.kek = kek;
    this.blocking = blocking;
  }

  public static String objectKey(String recordingId, Purpose purpose) {
    return PREFIX + Ids.requireId(recordingId, "recordingId") + "." + purpose.suffix() + ".dek";
  }

  /** Generates, wraps and stores a new DEK. */
  public CompletableFuture<DataKey> create(String recordingId, Purpose purpose) {
    String key = objectKey(recordingId, purpose);
    return CompletableFuture.supplyAsync(() -> {
      try {
        KeysetHandle handle = KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB);
        byte[] wrapped = TinkProtoKeysetFormat.serializeEncryptedKeyset(handle, kek,
            associatedData(recordingId, purpose));
        return new Wrapped(handle, wrapped);
      } catch (GeneralSecurityException e) {
        throw new CryptoException("cannot wrap a new data key for recording " + recordingId, true, e);
      }
    }, blocking).thenCompose(w -> store.put(bucket, key, w.bytes(), Map.of("sf-kind", "dek"))
        .thenApply(info -> new DataKey(recordingId, w.handle())));
  }

  /** Loads and unwraps a DEK; fails with a {@link StorageException} (404) once it was destroyed. */
  public CompletableFuture<DataKey> load(String recordingId, Purpose purpose) {
    return store.get(bucket, objectKey(recordingId, purpose)).thenApplyAsync(wrapped -> {
      try {
        KeysetHandle handle = TinkProtoKeysetFormat.parseEncryptedKeyset(wrapped, kek,
            associatedData(recordingId, purpose));
        return new DataKey(recordingId, handle);
      } catch (GeneralSecurityException e) {
        throw new CryptoException("cannot unwrap the data key of recording " + recordingId, false, e);
      }
    }, blocking);
  }

  /** Loads the DEK, or creates it if the recording has none yet. */
  public CompletableFuture<DataKey> loadOrCreate(String recordingId, Purpose purpose) {
    return load(recordingId, purpose).exceptionallyCompose(e -> {
      if (Failures.unwrap(e) instanceof StorageException se && se.isNotFound()) {
        return create(recordingId, purpose);
      }
      return CompletableFuture.failedFuture(Failures.unwrap(e));
    });
  }

  /**
   * Crypto-shreds: deletes every version of the wrapped DEK. Returns the versions it deleted;
   * an already-destroyed key yields an empty list.
   */
  public CompletableFuture<List<ObjectVersion>> destroy(String recordingId, Purpose purpose) {
    return store.deleteEveryVersion(bucket, objectKey(recordingId, purpose));
  }

  private static byte[] associatedData(String recordingId, Purpose purpose) {
    return ("sessionflow/dek/v1|" + recordingId + "|" + purpose.suffix()).getBytes(StandardCharsets.UTF_8);
  }

  private record Wrapped(KeysetHandle handle, byte[] bytes) {
  }
}
