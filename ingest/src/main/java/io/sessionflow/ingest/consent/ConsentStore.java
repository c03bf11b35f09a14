package io.sessionflow.ingest.consent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Consents in object storage under {@code consents/PRACTICE/ID.json}: a practice only ever sees its own. */
public final class ConsentStore {
  private static final ObjectMapper JSON = EventCodec.mapper();
  private final ObjectStore store;
  private final String bucket;

  public ConsentStore(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  static String key(String practiceId, String id) {
    return "consents/" + Ids.requireId(practiceId, "practice") + "/" + Ids.requireId(id, "consent id") + ".json";
  }

  public CompletableFuture<Void> save(Consent consent) {
    try {
      return store.put(bucket, key(consent.practiceId(), consent.id()), JSON.writeValueAsBytes(consent), Map.of())
          .thenApply(info -> null);
    } catch (JsonProcessingException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The consent of that practice with that id, or empty. */
  public CompletableFuture<Optional<Consent>> find(String practiceId, String id) {
    if (!Ids.isValid(practiceId) || !Ids.isValid(id)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return store.get(bucket, key(practiceId, id)).thenApply(bytes -> {
      try {
        return Optional.of(JSON.readValue(bytes, Consent.class));
      } catch (IOException e) {
        throw new StorageException("consent " + id + " is unreadable", 0, false, e);
      }
    }).exceptionallyCompose(e -> Failures.unwrap(e) instanceof StorageException se && se.isNotFound()
        ? CompletableFuture.completedFuture(Optional.empty()) : CompletableFuture.failedFuture(Failures.unwrap(e)));
  }
}
