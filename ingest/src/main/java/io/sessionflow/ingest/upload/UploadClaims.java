package io.sessionflow.ingest.upload;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which work of this process holds which upload: one piece of work at a time per upload. A newer
 * request takes over from an older one the way tusd does: the older request's body is interrupted
 * there (what arrived is kept) and the newer request waits, for a bounded time, until the older
 * has let go. That is what a client coming back needs when its old connection is half-open (a
 * phone changed networks and no reset ever reached us): without it, its retries would meet 423
 * until the idle timeout cut the dead connection, longer than clients keep retrying.
 *
 * <p>Across replicas the upload's lock object still decides ({@link UploadLock}); a writer on
 * another replica cannot be interrupted from here, so there a newer request answers 423.
 */
final class UploadClaims {
  /** How long a newer request waits for the interrupted one to store what it had and let go. */
  static final Duration TAKEOVER_WAIT = Duration.ofSeconds(10);
  private final Vertx vertx;
  private final Duration takeoverWait;
  private final Map<String, Claim> held = new ConcurrentHashMap<>();

  UploadClaims(Vertx vertx, Duration takeoverWait) {
    this.vertx = vertx;
    this.takeoverWait = takeoverWait;
  }

  /**
   * Cuts every request body held here short with {@code why} (what arrived is kept, as in a
   * takeover) and completes once every holder let go, or after {@code wait}.
   */
  Future<Void> interruptAll(UploadException why, Duration wait) {
    List<Future<Void>> releases = new ArrayList<>();
    for (Claim claim : held.values()) {
      claim.interrupt(why);
      releases.add(claim.released.future());
    }
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, wait.toMillis()), t -> done.tryComplete());
    Future.join(releases).onComplete(all -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /** The uploads held right now (a live view, for the gauge). */
  Collection<String> ids() {
    return held.keySet();
  }

  /** Claims an upload for background work; null when something holds it already. */
  Claim tryClaim(String id) {
    Claim mine = new Claim(id, Vertx.currentContext());
    return held.putIfAbsent(id, mine) == null ? mine : null;
  }

  /**
   * Claims an upload for a request: at once when it is free; otherwise the holder is interrupted
   * and the claim goes through once it lets go. Fails with {@code locked} when it has not let go
   * within the takeover wait, or another request took it first.
   *
   * @param tookOver called when this claim went through by interrupting an older holder
   */
  Future<Claim> claim(String id, UploadException locked, Runnable tookOver) {
    Claim mine = tryClaim(id);
    if (mine != null) {
      return Future.succeededFuture(mine);
    }
    Claim current = held.get(id);
    if (current == null) {
      return claim(id, locked, tookOver); // it let go in between
    }
    current.interrupt(interruptedError());
    Promise<Void> waited = Promise.promise();
    long timer = vertx.setTimer(takeoverWait.toMillis(), t -> waited.tryComplete());
    current.released.future().onComplete(done -> {
      vertx.cancelTimer(timer);
      waited.tryComplete();
    });
    return waited.future().compose(ignored -> {
      Claim after = tryClaim(id);
      if (after == null) {
        return Future.failedFuture(locked);
      }
      tookOver.run();
      return Future.succeededFuture(after);
    });
  }

  /** What an interrupted request is answered. */
  static UploadException interruptedError() {
    return new UploadException(UploadException.Kind.INTERRUPTED, "a newer request for this upload took over; "
        + "the bytes received before it are kept, resume from the offset HEAD reports");
  }

  /** One holder of one upload. */
  final class Claim {
    private final String id;
    private final Context context; // null for work claimed off any Vert.x context
    private final Promise<Void> ended = Promise.promise();
    private final Promise<Void> released = Promise.promise();
    private volatile UploadException interruption;

    private Claim(String id, Context context) {
      this.id = id;
      this.context = context;
    }

    /**
     * The end of this claim's request body: completes or fails with {@code requestEnded}, or
     * fails earlier when a newer request interrupts this one.
     */
    Future<Void> ended(Future<Void> requestEnded) {
      requestEnded.onComplete(end -> {
        if (end.succeeded()) {
          ended.tryComplete();
        } else {
          ended.tryFail(end.cause());
        }
      });
      return ended.future();
    }

    /** True once a newer request (or the shutdown) cut this one's body short. */
    boolean interrupted() {
      return interruption != null;
    }

    /** Why this claim's body was cut short, or null. */
    UploadException interruption() {
      return interruption;
    }

    private void interrupt(UploadException why) {
      if (context == null) {
        markInterrupted(why); // background work: no body to cut short
      } else {
        // On the holder's own context: its body and writer are confined there.
        context.runOnContext(v -> markInterrupted(why));
      }
    }

    private void markInterrupted(UploadException why) {
      if (ended.tryFail(why)) {
        interruption = why;
      }
    }

    void release() {
      held.remove(id, this);
      released.tryComplete();
    }
  }
}
