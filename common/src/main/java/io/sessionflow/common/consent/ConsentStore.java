package io.sessionflow.common.consent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Consents in object storage under {@code consents/PRACTICE/ID.json}: a practice only ever sees its own. */
public final class ConsentStore {
  private static final ObjectMapper JSON = EventCodec.mapper();
  /** How many consents a listing reads at once. */
  private static final int READ_BATCH = 16;
  private final ObjectStore store;
  private final String bucket;

  public ConsentStore(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  /** Where a practice's consent is stored. */
  public static String key(String practiceId, String id) {
    return prefix(practiceId) + Ids.requireId(id, "consent id") + ".json";
  }

  private static String prefix(String practiceId) {
    return "consents/" + Ids.requireId(practiceId, "practice") + "/";
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

  /**
   * Why a stage may not do {@code purpose} (a scope: {@code transcribe}, {@code analyze}) with a
   * recording made under that consent, or empty when it may. Read afresh each time: a revocation
   * stops the next stage. A reason names the consent id and the scope, never the client.
   */
  public CompletableFuture<Optional<String>> refusal(String practiceId, String consentId, String purpose) {
    if (consentId == null || !Ids.isValid(consentId)) {
      return CompletableFuture.completedFuture(Optional.of("consent-missing: the recording has no consent on record"));
    }
    return find(practiceId, consentId).thenApply(found -> {
      if (found.isEmpty()) {
        return Optional.of("consent-missing: consent " + consentId + " no longer exists");
      }
      if (found.get().isRevoked()) {
        return Optional.of("consent-revoked: consent " + consentId + " was revoked");
      }
      if (!found.get().allows(purpose)) {
        return Optional.of("consent-scope: consent " + consentId + " does not include '" + purpose + "'");
      }
      return Optional.empty();
    });
  }

  /** Every consent of that practice, revoked ones included; read a few at a time. */
  public CompletableFuture<List<Consent>> practice(String practiceId) {
    if (!Ids.isValid(practiceId)) {
      return CompletableFuture.completedFuture(List.of());
    }
    return store.listKeys(bucket, prefix(practiceId))
        .thenCompose(keys -> readAll(practiceId, consentIds(practiceId, keys)));
  }

  private static List<String> consentIds(String practiceId, List<String> keys) {
    String prefix = prefix(practiceId);
    return keys.stream().filter(key -> key.startsWith(prefix) && key.endsWith(".json"))
        .map(key -> key.substring(prefix.length(), key.length() - ".json".length()))
        .filter(Ids::isValid).toList();
  }

  private CompletableFuture<List<Consent>> readAll(String practiceId, List<String> ids) {
    List<Consent> consents = new ArrayList<>();
    CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
    for (int from = 0; from < ids.size(); from += READ_BATCH) {
      List<String> batch = ids.subList(from, Math.min(ids.size(), from + READ_BATCH));
      done = done.thenCompose(ignored -> readBatch(practiceId, batch, consents));
    }
    return done.thenApply(ignored -> List.copyOf(consents));
  }

  /** A consent deleted between the listing and the read is simply not there. */
  private CompletableFuture<Void> readBatch(String practiceId, List<String> ids, List<Consent> into) {
    List<CompletableFuture<Optional<Consent>>> reads = ids.stream().map(id -> find(practiceId, id)).toList();
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenRun(() -> reads.forEach(read -> read.join().ifPresent(into::add)));
  }
}
