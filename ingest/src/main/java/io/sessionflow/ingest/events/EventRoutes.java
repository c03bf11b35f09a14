package io.sessionflow.ingest.events;

import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.webhook.WebhookEvent;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code GET /v1/events}: Server-Sent Events of the caller's recordings (a therapist's own, a
 * clinic admin's practice), the same events webhooks carry; {@code Last-Event-ID} resumes after
 * the last one a client saw. A stream ends when its token expires. A comment every
 * {@link #KEEP_ALIVE} keeps the connection from idling out; a client that stops reading is
 * dropped rather than buffered for.
 */
public final class EventRoutes {
  static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
  private final Duration keepAlive;
  /** A client this far behind (bytes not yet written to it) is disconnected; it resumes with Last-Event-ID. */
  private static final int MAX_QUEUED = 1 << 20;
  private final EventFeed feed;

  /** {@code idleTimeout}: the server's; a comment goes out well within it (every 15 s at most). */
  public EventRoutes(EventFeed feed, Duration idleTimeout) {
    this.feed = feed;
    Duration half = idleTimeout.dividedBy(2);
    this.keepAlive = half.compareTo(KEEP_ALIVE) < 0 ? half : KEEP_ALIVE;
  }

  public void mount(Router router) {
    router.get("/v1/events").handler(this::stream);
  }

  static boolean visible(Caller caller, WebhookEvent event) {
    if (!caller.practiceId().equals(event.practiceId())) {
      return false;
    }
    return caller.role() == Role.CLINIC_ADMIN || (caller.role() == Role.THERAPIST
        && caller.subject().equals(event.therapistId()));
  }

  private void stream(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    if (caller.role() == Role.OPS) {
      new Problem(403, "Forbidden", "The ops role sees metrics and the dashboard only, never clinical data.")
          .send(ctx.response());
      return;
    }
    String lastEventId = ctx.request().getHeader("Last-Event-ID");
    HttpServerResponse response = ctx.response();
    response.setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store").putHeader("X-Accel-Buffering", "no");
    response.setWriteQueueMaxSize(MAX_QUEUED);
    Context context = ctx.vertx().getOrCreateContext();
    EventFeed.Subscription subscription = feed.subscribe(lastEventId, event -> context.runOnContext(v ->
        send(response, caller, event)));
    long keepAliveTimer = ctx.vertx().setPeriodic(Math.max(100, keepAlive.toMillis()), id -> {
      if (!response.closed() && !response.ended()) {
        response.write(": keep-alive\n\n");
      }
    });
    // The stream ends when its token does: a client reconnects (Last-Event-ID) with a token still valid.
    long untilExpiry = Math.max(1, java.time.Duration.between(java.time.Instant.now(),
        BearerAuthHandler.expiresAt(ctx)).toMillis());
    long expiryTimer = ctx.vertx().setTimer(untilExpiry, id -> {
      if (!response.ended() && !response.closed()) {
        response.end();
      }
    });
    Runnable stop = () -> {
      subscription.cancel().run();
      ctx.vertx().cancelTimer(keepAliveTimer);
      ctx.vertx().cancelTimer(expiryTimer);
    };
    response.closeHandler(v -> stop.run());
    if (response.closed()) {
      stop.run(); // gone while its token was checked: no close will be told
      return;
    }
    response.write("retry: 5000\n\n");
    subscription.missed().forEach(event -> send(response, caller, event));
  }

  private static void send(HttpServerResponse response, Caller caller, WebhookEvent event) {
    if (response.closed() || response.ended() || !visible(caller, event)) {
      return;
    }
    if (response.writeQueueFull()) {
      response.reset(); // far behind: it reconnects with Last-Event-ID
      return;
    }
    response.write("id: " + event.id() + "\nevent: " + event.type() + "\ndata: " + event.payload().encode()
        + "\n\n");
  }
}
