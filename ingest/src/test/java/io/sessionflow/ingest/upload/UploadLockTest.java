package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.storage.ObjectStore;
import io.vertx.core.Vertx;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cross-replica upload lock: a renewal still on its way when the holder releases. */
class UploadLockTest {
  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aRenewalOnItsWayWhenTheLockIsReleasedDoesNotPutItBack() throws Exception {
    InMemoryObjectStore memory = new InMemoryObjectStore();
    CompletableFuture<Void> renewalLands = new CompletableFuture<>();
    // Plain puts of the lock object (renewals) wait for the gate, as a slow store would make them.
    ObjectStore slow = (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(),
        new Class<?>[] {ObjectStore.class}, (proxy, method, args) -> {
          try {
            if (method.getName().equals("put") && ((String) args[1]).endsWith("/lock")) {
              return renewalLands.thenCompose(ignored -> {
                try {
                  return (CompletableFuture<?>) method.invoke(memory, args);
                } catch (ReflectiveOperationException e) {
                  throw new IllegalStateException(e);
                }
              });
            }
            return method.invoke(memory, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    UploadLock lock = new UploadLock(slow, "b", Clock.systemUTC(), vertx);
    UploadLock.Held held = lock.acquire("u1").get(10, TimeUnit.SECONDS);
    assertThat(held).isNotNull();
    held.renew();
    CompletableFuture<Void> released = held.release();
    assertThat(released).as("the delete waits for the renewal on its way").isNotDone();
    renewalLands.complete(null);
    released.get(10, TimeUnit.SECONDS);
    assertThat(lock.acquire("u1").get(10, TimeUnit.SECONDS)).as("the next writer gets the lock").isNotNull();
  }
}
