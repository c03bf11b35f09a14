package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UploadClaimsTest {
  private final Vertx vertx = Vertx.vertx();
  private final UploadClaims claims = new UploadClaims(vertx, Duration.ofMillis(300));
  private final UploadException locked = new UploadException(UploadException.Kind.LOCKED, "locked");
  private final AtomicInteger tookOver = new AtomicInteger();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  private Future<UploadClaims.Claim> claim(String id) {
    return claims.claim(id, locked, tookOver::incrementAndGet);
  }

  @Test
  void aFreeUploadIsClaimedAtOnceAndOnlyOnce() {
    UploadClaims.Claim first = claims.tryClaim("u1");
    assertThat(first).isNotNull();
    assertThat(claims.tryClaim("u1")).isNull();
    assertThat(claims.ids()).containsExactly("u1");
    first.release();
    assertThat(claims.ids()).isEmpty();
    assertThat(claim("u1").await()).isNotNull();
    assertThat(tookOver).hasValue(0);
  }

  @Test
  void aNewerClaimInterruptsTheHolderAndGoesThroughOnceItLetsGo() throws Exception {
    UploadClaims.Claim holder = claims.tryClaim("u2");
    Promise<Void> body = Promise.promise();
    Future<Void> holderEnded = holder.ended(body.future());
    Future<UploadClaims.Claim> newer = claim("u2");
    Throwable why = holderEnded.toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
    assertThat(why).isInstanceOf(UploadException.class).hasMessageContaining("took over");
    assertThat(((UploadException) why).kind()).isEqualTo(UploadException.Kind.INTERRUPTED);
    assertThat(holder.interrupted()).isTrue();
    assertThat(newer.isComplete()).as("waits while the holder stores what it had").isFalse();
    holder.release();
    UploadClaims.Claim taken = newer.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(taken).isNotSameAs(holder);
    assertThat(claims.tryClaim("u2")).isNull();
    assertThat(tookOver).hasValue(1);
  }

  @Test
  void aHolderThatNeverLetsGoLeavesTheNewerClaimLocked() throws Exception {
    claims.tryClaim("u3");
    Throwable why = claim("u3").toCompletionStage().toCompletableFuture().handle((ok, e) -> e)
        .get(5, TimeUnit.SECONDS);
    assertThat(why).isSameAs(locked);
    assertThat(tookOver).hasValue(0);
  }

  @Test
  void aHolderWhoseBodyAlreadyEndedIsNotInterrupted() throws Exception {
    Context context = vertx.getOrCreateContext();
    UploadClaims.Claim holder = on(context, () -> claims.tryClaim("u4"));
    Future<Void> holderEnded = holder.ended(Future.succeededFuture());
    Future<UploadClaims.Claim> newer = claim("u4");
    on(context, () -> null); // the interruption, queued on the holder's context before this, has run
    holder.release();
    assertThat(newer.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(holderEnded.succeeded()).isTrue();
    assertThat(holder.interrupted()).isFalse();
  }

  private static <T> T on(Context context, Supplier<T> work) throws Exception {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> result.complete(work.get()));
    return result.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
