package io.sessionflow.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.ingest.upload.InMemoryObjectStore;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What a listing of webhook state shows beside the entries this store wrote: S3Proxy's filesystem backend
 * lists an object it is still writing as its temporary {@code KEY-UUID} file, and an entry can be gone by
 * the time it is read (WebhooksIT's delivery log once answered 500 on such a 404).
 */
class WebhookStoreTest {
  private static final String BUCKET = "sessionflow";
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

  private static WebhookDelivery delivery(String id) {
    return new WebhookDelivery(id, "msg_" + id, "prac-a", "endpoint1", "recording.stored", "rec1", "{}", T0, 0, T0);
  }

  @Test
  void aDeliveryLogLeavesOutAnObjectStillBeingWrittenAndListsTheAttemptsNewestFirst() {
    InMemoryObjectStore objects = new InMemoryObjectStore();
    WebhookStore store = new WebhookStore(objects, BUCKET);
    store.log(delivery("d1"), 1, T0, new JsonObject().put("status", 500)).join();
    store.log(delivery("d1"), 2, T0.plusSeconds(5), new JsonObject().put("status", 200)).join();
    String written = objects.listKeys(BUCKET, "webhooks/log/").join().get(0);
    // The temporary file of a third attempt being written: half of its bytes, under KEY-UUID.
    objects.put(BUCKET, written.replace("-2.json", "-3.json") + "-c29ab042-026c-45ec-9760-3f44bceb9fce",
        "{\"status\":".getBytes(StandardCharsets.UTF_8), Map.of()).join();

    List<JsonObject> log = store.log("prac-a", "endpoint1", 10).join();

    assertThat(log).extracting(e -> e.getInteger("attempt")).containsExactly(2, 1);
    assertThat(log).extracting(e -> e.getInteger("status")).containsExactly(200, 500);
  }

  @Test
  void anAttemptListedButGoneWhenReadIsLeftOutOfTheLog() {
    InMemoryObjectStore objects = new InMemoryObjectStore();
    WebhookStore writer = new WebhookStore(objects, BUCKET);
    writer.log(delivery("d1"), 1, T0, new JsonObject().put("status", 200)).join();
    String gone = "webhooks/log/prac-a/endpoint1/0000000000000000001-d0-1.json";
    WebhookStore store = new WebhookStore(listingAlso(objects, gone), BUCKET);

    List<JsonObject> log = store.log("prac-a", "endpoint1", 10).join();

    assertThat(log).extracting(e -> e.getString("deliveryId")).containsExactly("d1");
  }

  @Test
  void aPendingDeliveryStillBeingWrittenIsNotReadAsASecondDelivery() {
    InMemoryObjectStore objects = new InMemoryObjectStore();
    WebhookStore store = new WebhookStore(objects, BUCKET);
    store.savePending(delivery("d1")).join();
    byte[] whole = objects.get(BUCKET, WebhookStore.PENDING + "d1.json").join();
    // A rewrite of the same delivery (its next retry) in progress: the whole new body is already there.
    objects.put(BUCKET, WebhookStore.PENDING + "d1.json-3f2b9a4e-1111-4c3d-9e8f-000000000000", whole, Map.of())
        .join();

    assertThat(store.pending().join()).extracting(WebhookDelivery::id).containsExactly("d1");
  }

  /** The store, whose listings also show {@code key}, which it does not hold. */
  private static ObjectStore listingAlso(ObjectStore store, String key) {
    return (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
        new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
          try {
            Object result = method.invoke(store, args);
            if (method.getName().equals("listKeys") && key.startsWith((String) args[1])) {
              return ((CompletableFuture<?>) result).thenApply(keys -> {
                List<Object> more = new ArrayList<>((List<?>) keys);
                more.add(key);
                return List.copyOf(more);
              });
            }
            return result;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
