package io.sessionflow.ingest.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Webhook state in object storage, so every ingest replica shares it and it survives restarts:
 * <pre>
 *   webhooks/endpoints/PRACTICE/ID.json          a registered endpoint (its secret sealed)
 *   webhooks/pending/DELIVERY.json                a delivery not yet made or given up
 *   webhooks/log/PRACTICE/ENDPOINT/INV-DELIVERY-N.json  one attempt (INV: newest first when listed)
 * </pre>
 * Nothing here is PHI: ids, event types, states, status codes and times.
 */
final class WebhookStore {
  static final String PENDING = "webhooks/pending/";
  private static final ObjectMapper JSON = EventCodec.mapper();
  private static final Map<String, String> META = Map.of("sf-kind", "webhook");
  private final ObjectStore store;
  private final String bucket;

  WebhookStore(ObjectStore store, String bucket) {
    this.store = store;
    this.bucket = bucket;
  }

  private static String endpointPrefix(String practiceId) {
    return "webhooks/endpoints/" + Ids.requireId(practiceId, "practice") + "/";
  }

  private static String logPrefix(String practiceId, String endpointId) {
    return "webhooks/log/" + Ids.requireId(practiceId, "practice") + "/" + Ids.requireId(endpointId, "endpoint")
        + "/";
  }

  CompletableFuture<Void> save(WebhookEndpoint endpoint) {
    return put(endpointPrefix(endpoint.practiceId()) + endpoint.id() + ".json", endpoint);
  }

  CompletableFuture<Optional<WebhookEndpoint>> endpoint(String practiceId, String id) {
    if (!Ids.isValid(practiceId) || !Ids.isValid(id)) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return read(endpointPrefix(practiceId) + id + ".json", WebhookEndpoint.class);
  }

  CompletableFuture<List<WebhookEndpoint>> endpoints(String practiceId) {
    return store.listKeys(bucket, endpointPrefix(practiceId)).thenCompose(keys -> {
      List<CompletableFuture<Optional<WebhookEndpoint>>> reads = keys.stream().filter(WebhookStore::written)
          .map(key -> readOrSkip(key, WebhookEndpoint.class)).toList();
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(ignored -> reads.stream()
          .map(CompletableFuture::join).flatMap(Optional::stream)
          .sorted(java.util.Comparator.comparing(WebhookEndpoint::createdAt)).toList());
    });
  }

  CompletableFuture<Void> delete(WebhookEndpoint endpoint) {
    return store.delete(bucket, endpointPrefix(endpoint.practiceId()) + endpoint.id() + ".json");
  }

  CompletableFuture<Void> savePending(WebhookDelivery delivery) {
    return put(PENDING + delivery.id() + ".json", delivery);
  }

  CompletableFuture<Void> deletePending(WebhookDelivery delivery) {
    return store.delete(bucket, PENDING + delivery.id() + ".json");
  }

  CompletableFuture<List<WebhookDelivery>> pending() {
    return store.listKeys(bucket, PENDING).thenCompose(keys -> {
      List<CompletableFuture<Optional<WebhookDelivery>>> reads = keys.stream().filter(WebhookStore::written)
          .map(key -> readOrSkip(key, WebhookDelivery.class)).toList();
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(ignored -> reads.stream()
          .map(CompletableFuture::join).flatMap(Optional::stream).toList());
    });
  }

  /** Records one attempt in the endpoint's delivery log. */
  CompletableFuture<Void> log(WebhookDelivery delivery, int attempt, Instant at, JsonObject outcome) {
    String key = logPrefix(delivery.practiceId(), delivery.endpointId())
        + String.format("%019d", Long.MAX_VALUE - at.toEpochMilli()) + "-" + delivery.id() + "-" + attempt + ".json";
    JsonObject entry = outcome.copy().put("deliveryId", delivery.id()).put("messageId", delivery.messageId())
        .put("type", delivery.type()).put("attempt", attempt).put("at", at.toString());
    if (delivery.recordingId() != null) {
      entry.put("recordingId", delivery.recordingId());
    }
    return store.put(bucket, key, entry.toBuffer().getBytes(), META).thenApply(info -> null);
  }

  /**
   * The newest {@code limit} attempts of an endpoint, newest first; one listed but gone by the time it is
   * read (its endpoint removed meanwhile) is left out.
   */
  CompletableFuture<List<JsonObject>> log(String practiceId, String endpointId, int limit) {
    return store.listKeys(bucket, logPrefix(practiceId, endpointId)).thenCompose(keys -> {
      List<CompletableFuture<Optional<byte[]>>> reads = keys.stream().filter(WebhookStore::written).sorted()
          .limit(limit).map(this::bytes).toList();
      return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
        List<JsonObject> entries = new ArrayList<>();
        reads.forEach(read -> read.join().ifPresent(
            bytes -> entries.add(new JsonObject(io.vertx.core.buffer.Buffer.buffer(bytes)))));
        return entries;
      });
    });
  }

  /**
   * Whether a listed key is one this store wrote (every one ends in {@code .json}): a listing can also show
   * an object the store is still writing, as S3Proxy's filesystem backend lists its temporary
   * {@code KEY-UUID} file until it is renamed to KEY, and that is never read as an entry (it failed a
   * delivery log's read with a 404 once, and a pending delivery read from one would be sent twice).
   */
  private static boolean written(String key) {
    return key.endsWith(".json");
  }

  private CompletableFuture<Void> put(String key, Object value) {
    try {
      return store.put(bucket, key, JSON.writeValueAsBytes(value), META).thenApply(info -> null);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * As {@link #read}, in a listing: one object that cannot be parsed is logged and left out, so it
   * cannot stop every other endpoint's deliveries (a storage outage still fails the listing).
   */
  private <T> CompletableFuture<Optional<T>> readOrSkip(String key, Class<T> type) {
    return read(key, type).exceptionallyCompose(e -> {
      Throwable cause = Failures.unwrap(e);
      if (cause instanceof StorageException se && se.getCause() instanceof IOException) {
        org.slf4j.LoggerFactory.getLogger(WebhookStore.class).warn("{} is unreadable and left out: {}", key,
            Failures.reason(cause));
        return CompletableFuture.completedFuture(Optional.empty());
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  private <T> CompletableFuture<Optional<T>> read(String key, Class<T> type) {
    return bytes(key).thenCompose(found -> {
      try {
        return CompletableFuture.completedFuture(found.isEmpty() ? Optional.<T>empty()
            : Optional.of(JSON.readValue(found.get(), type)));
      } catch (IOException e) {
        return CompletableFuture.failedFuture(new StorageException(key + " is unreadable", 0, false, e));
      }
    });
  }

  /** The object's bytes; empty when there is none. */
  private CompletableFuture<Optional<byte[]>> bytes(String key) {
    return store.get(bucket, key).thenApply(Optional::of)
        .exceptionallyCompose(e -> Failures.unwrap(e) instanceof StorageException se && se.isNotFound()
            ? CompletableFuture.completedFuture(Optional.<byte[]>empty())
            : CompletableFuture.failedFuture(Failures.unwrap(e)));
  }
}
