package io.sessionflow.ingest.webhook;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A clinic admin's webhook endpoints for the practice: {@code POST /v1/webhooks {url, events}}
 * (201 with the signing secret, shown this once), {@code GET /v1/webhooks},
 * {@code DELETE /v1/webhooks/{id}} and {@code GET /v1/webhooks/{id}/deliveries} (every attempt:
 * status code, latency, outcome). Only clinic admins; a therapist's app uses {@code /v1/events}.
 */
public final class WebhookRoutes {
  /** Endpoints one practice may register. */
  static final int MAX_ENDPOINTS = 10;
  private final WebhookStore store;
  private final WebhookDispatcher dispatcher;
  private final WebhookTargets targets;
  private final AuditLog audit;
  private final Clock clock;
  private final Executor blocking;
  private final SecureRandom random = new SecureRandom();

  WebhookRoutes(WebhookStore store, WebhookDispatcher dispatcher, WebhookTargets targets, AuditLog audit,
      Clock clock, Executor blocking) {
    this.store = store;
    this.dispatcher = dispatcher;
    this.targets = targets;
    this.audit = audit;
    this.clock = clock;
    this.blocking = blocking;
  }

  public void mount(Router router) {
    router.route("/v1/webhooks*").handler(WebhookRoutes::adminOnly);
    router.post("/v1/webhooks").handler(BodyHandler.create().setBodyLimit(16 * 1024)).handler(this::create);
    router.get("/v1/webhooks").handler(this::list);
    router.delete("/v1/webhooks/:id").handler(this::delete);
    router.get("/v1/webhooks/:id/deliveries").handler(this::deliveries);
  }

  private static void adminOnly(RoutingContext ctx) {
    if (BearerAuthHandler.caller(ctx).role() != Role.CLINIC_ADMIN) {
      new Problem(403, "Forbidden", "Webhooks are registered by a clinic admin of the practice.")
          .reject(ctx.request());
      return;
    }
    ctx.next();
  }

  private void create(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    JsonObject body;
    List<String> events;
    java.net.URI url;
    try {
      body = ctx.body().asJsonObject();
      if (body == null) {
        throw new IllegalArgumentException("Send a JSON object {url, events}.");
      }
      url = targets.parse(body.getString("url"));
      events = events(body.getJsonArray("events"));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      new Problem(400, "Bad Request", e instanceof IllegalArgumentException ? e.getMessage()
          : "Send a JSON object {url, events}.").send(ctx.response());
      return;
    }
    String id = Ids.newId();
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    on(ctx, store.endpoints(caller.practiceId())).compose(existing -> {
      if (existing.size() >= MAX_ENDPOINTS) {
        return Future.failedFuture(new IllegalStateException("the practice has " + MAX_ENDPOINTS
            + " webhook endpoints already; delete one first"));
      }
      // Resolved now too, so an address webhooks may not reach is refused at once, not at the first event.
      return on(ctx, CompletableFuture.supplyAsync(() -> {
        targets.resolve(url);
        return dispatcher.seal(caller.practiceId(), id, secret);
      }, blocking));
    }).compose(sealed -> {
      WebhookEndpoint endpoint = new WebhookEndpoint(id, caller.practiceId(), url.toString(), events,
          clock.instant(), caller.subject(), sealed, null, null);
      return on(ctx, store.save(endpoint)).map(endpoint);
    }).onSuccess(endpoint -> {
      dispatcher.changed(caller.practiceId());
      audit.record(caller, "webhook.create", "webhook", id, "ok");
      ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .putHeader("Location", "/v1/webhooks/" + id)
          .end(endpoint.toJson().put("secret", "whsec_" + Base64.getEncoder().encodeToString(secret)).encode());
    }).onFailure(error -> {
      Throwable cause = io.sessionflow.common.failure.Failures.unwrap(error);
      if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException) {
        new Problem(cause instanceof IllegalStateException ? 409 : 400, cause instanceof IllegalStateException
            ? "Conflict" : "Bad Request", cause.getMessage()).send(ctx.response());
      } else {
        ctx.fail(cause);
      }
    });
  }

  static List<String> events(JsonArray requested) {
    if (requested == null || requested.isEmpty()) {
      throw new IllegalArgumentException("events must list what to be told of, among " + WebhookEndpoint.EVENTS);
    }
    List<String> events = new ArrayList<>();
    for (Object item : requested) {
      if (!(item instanceof String type) || !WebhookEndpoint.EVENTS.contains(type)) {
        throw new IllegalArgumentException("events must be among " + WebhookEndpoint.EVENTS);
      }
      if (!events.contains(type)) {
        events.add(type);
      }
    }
    return events;
  }

  private void list(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    on(ctx, store.endpoints(caller.practiceId())).onSuccess(list -> {
      JsonArray items = new JsonArray();
      list.forEach(endpoint -> items.add(endpoint.toJson()));
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("webhooks", items).encode());
    }).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    owned(ctx, caller).compose(endpoint -> on(ctx, store.delete(endpoint)).map(endpoint)).onSuccess(endpoint -> {
      dispatcher.changed(caller.practiceId());
      audit.record(caller, "webhook.delete", "webhook", endpoint.id(), "ok");
      ctx.response().setStatusCode(204).end();
    }).onFailure(error -> failUnlessAnswered(ctx, error));
  }

  private void deliveries(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    int limit;
    try {
      limit = Integer.parseInt(ctx.request().getParam("limit", "50"));
      if (limit < 1 || limit > 500) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      new Problem(400, "Bad Request", "limit must be between 1 and 500").send(ctx.response());
      return;
    }
    owned(ctx, caller).compose(endpoint -> on(ctx, store.log(caller.practiceId(), endpoint.id(), limit)))
        .onSuccess(entries -> ctx.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("deliveries", new JsonArray(new ArrayList<>(entries))).encode()))
        .onFailure(error -> failUnlessAnswered(ctx, error));
  }

  /** The practice's endpoint of that id; answered 404 otherwise (another practice's looks like none). */
  private Future<WebhookEndpoint> owned(RoutingContext ctx, Caller caller) {
    return on(ctx, store.endpoint(caller.practiceId(), ctx.pathParam("id"))).compose(found -> {
      if (found.isEmpty()) {
        new Problem(404, "Not Found", "No webhook endpoint with that id in your practice.").send(ctx.response());
        return Future.failedFuture("not found");
      }
      return Future.succeededFuture(found.get());
    });
  }

  private static void failUnlessAnswered(RoutingContext ctx, Throwable error) {
    if (!ctx.response().ended()) {
      ctx.fail(error);
    }
  }

  private static <T> Future<T> on(RoutingContext ctx, java.util.concurrent.CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, ctx.vertx().getOrCreateContext());
  }
}
