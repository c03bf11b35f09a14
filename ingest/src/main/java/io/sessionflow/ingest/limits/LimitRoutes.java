package io.sessionflow.ingest.limits;

import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.tus.TusRoutes;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The limiter in front of the routes that start something: tus creation ({@code POST /files/}),
 * streaming uploads ({@code POST /v1/recordings}) and consents ({@code POST /v1/consents}).
 * Mount after authentication and before those routes. A refused request is answered
 * {@code 429 Too Many Requests} with {@code Retry-After} and a problem saying which limit and
 * when to retry, before a byte of its body is read.
 *
 * <p>An admitted upload holds its slot until its request ends; a tus creation answered 201 with
 * an upload still to be finished ties the slot to the new upload's id instead, and the slot is
 * freed when the upload completes, is terminated or expires ({@link IngestLimiter#release}).
 */
public final class LimitRoutes {
  private static final String ADMITTED = "limits.admitted";
  private final IngestLimiter limiter;
  private final Function<String, Future<Boolean>> finished;

  /**
   * @param finished whether an upload is no longer in progress (complete, gone or expired), read
   *                 from storage: asked for the caller's held uploads before a quota refusal
   */
  public LimitRoutes(IngestLimiter limiter, Function<String, Future<Boolean>> finished) {
    this.limiter = limiter;
    this.finished = finished;
  }

  public void mount(Router router) {
    router.post("/files").handler(ctx -> upload(ctx, true));
    router.post("/files/").handler(ctx -> upload(ctx, true));
    router.post("/v1/recordings").handler(ctx -> upload(ctx, false));
    router.post("/v1/consents").handler(this::consent);
  }

  private void consent(RoutingContext ctx) {
    if (ctx.get(ADMITTED) != null) {
      ctx.next();
      return;
    }
    ctx.put(ADMITTED, true);
    IngestLimiter.Refusal refusal = limiter.admitConsent(BearerAuthHandler.caller(ctx));
    if (refusal == null) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("Retry-After", Long.toString(refusal.retryAfterSeconds()));
    new Problem(429, "Too Many Requests", refusal.detail()).reject(ctx.request());
  }

  private void upload(RoutingContext ctx, boolean tus) {
    HttpServerRequest request = ctx.request();
    String override = request.getHeader("X-HTTP-Method-Override");
    if (tus && override != null && !override.trim().equalsIgnoreCase("POST")) {
      ctx.next(); // not a creation: tus reroutes it
      return;
    }
    if (ctx.get(ADMITTED) != null) {
      ctx.next(); // "/files" also matches "/files/": one request is counted once
      return;
    }
    ctx.put(ADMITTED, true);
    request.pause();
    if (ctx.response().closed()) {
      ctx.next(); // the client is gone: nothing to hold, and no end would be seen to free it
      return;
    }
    Caller caller = BearerAuthHandler.caller(ctx);
    // A resumable (IETF draft) creation is held like a tus one: it may stay open after its request.
    boolean resumable = !tus && request.getHeader("Upload-Draft-Interop-Version") != null;
    long declared = declared(request, tus || resumable && request.getHeader("Upload-Length") != null);
    IngestLimiter.Admission admission = limiter.tryUpload(caller, declared);
    if (admission.admitted()) {
      proceed(ctx, admission.slot(), tus || resumable);
      return;
    }
    IngestLimiter.Refusal refusal = admission.refusal();
    boolean quota = refusal.limit() == IngestLimiter.Limit.UPLOADS
        || refusal.limit() == IngestLimiter.Limit.UPLOAD_BYTES;
    if (!quota || !limiter.mayReconcile(caller)) {
      limiter.count(refusal);
      refuse(ctx, refusal, tus);
      return;
    }
    reconcile(caller, refusal.scope().equals("practice")).onComplete(done -> {
      IngestLimiter.Admission again = limiter.admitUpload(caller, declared);
      if (again.admitted()) {
        proceed(ctx, again.slot(), tus || resumable);
      } else {
        refuse(ctx, again.refusal(), tus);
      }
    });
  }

  /** Frees the held slots of uploads that storage says are finished (on another replica, or deleted). */
  private Future<Void> reconcile(Caller caller, boolean wholePractice) {
    List<Future<?>> checks = new ArrayList<>();
    for (String id : limiter.boundIds(caller, wholePractice)) {
      checks.add(finished.apply(id).onSuccess(done -> {
        if (done) {
          limiter.release(id);
        }
      }).otherwise(false));
    }
    return Future.join(checks).mapEmpty();
  }

  private void proceed(RoutingContext ctx, IngestLimiter.Slot slot, boolean resumable) {
    if (resumable) {
      // Bound before the client can see the new upload's URL (and so before it can finish it).
      ctx.addHeadersEndHandler(ignored -> {
        String id = createdUpload(ctx.response().getStatusCode(), ctx.response().headers());
        if (id != null) {
          limiter.bind(slot, id);
        }
      });
    }
    ctx.addEndHandler(ignored -> slot.close());
    ctx.next();
  }

  /** The id of an upload this response created that is still in progress, or null. */
  static String createdUpload(int status, MultiMap headers) {
    String location = headers.get("Location");
    String prefix = location == null ? null : location.startsWith("/files/") ? "/files/"
        : location.startsWith("/v1/uploads/") ? "/v1/uploads/" : null;
    if (status != 201 || prefix == null) {
      return null;
    }
    String length = headers.get("Upload-Length");
    String concat = headers.get("Upload-Concat");
    boolean complete = concat != null && concat.startsWith("final")
        || length != null && length.equals(headers.get("Upload-Offset"))
        || "?1".equals(headers.get("Upload-Complete")) || "?0".equals(headers.get("Upload-Incomplete"));
    return complete ? null : location.substring(prefix.length());
  }

  private static long declared(HttpServerRequest request, boolean tus) {
    String value = tus ? request.getHeader("Upload-Length") : request.getHeader("Content-Length");
    if (value == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      return 0; // the route answers 400 for it
    }
  }

  private static void refuse(RoutingContext ctx, IngestLimiter.Refusal refusal, boolean tus) {
    HttpServerResponse response = ctx.response();
    response.putHeader("Retry-After", Long.toString(refusal.retryAfterSeconds()));
    if (tus) {
      response.putHeader("Tus-Resumable", TusRoutes.VERSION);
    }
    Problem problem = new Problem(429, "Too Many Requests", refusal.detail());
    // An upload's body is not read just to be dropped: the connection closes after the answer.
    if (hasBody(ctx.request())) {
      problem.rejectAndClose(ctx.request());
    } else {
      problem.reject(ctx.request());
    }
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return length == null ? request.getHeader("Transfer-Encoding") != null : !length.trim().equals("0");
  }
}
