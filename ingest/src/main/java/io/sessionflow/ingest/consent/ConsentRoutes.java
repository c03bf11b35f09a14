package io.sessionflow.ingest.consent;

import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.kafka.EventPublisher;
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
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** {@code POST /v1/consents}, {@code GET /v1/consents/{id}}, {@code DELETE /v1/consents/{id}}. */
public final class ConsentRoutes {
  private final ConsentStore store;
  private final EventPublisher events;
  private final AuditLog audit;
  private final Clock clock;

  public ConsentRoutes(ConsentStore store, EventPublisher events, AuditLog audit, Clock clock) {
    this.store = store;
    this.events = events;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/v1/consents").handler(BodyHandler.create().setBodyLimit(16 * 1024)).handler(this::create);
    router.get("/v1/consents/:id").handler(this::read);
    router.delete("/v1/consents/:id").handler(this::revoke);
  }

  private void create(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    Consent consent;
    try {
      consent = parse(caller, ctx.body().asJsonObject());
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      new Problem(400, "Bad Request", e instanceof IllegalArgumentException ? e.getMessage()
          : "Send a JSON object {clientRef, scope, formVersion, capturedAt}.").send(ctx.response());
      return;
    }
    Future.fromCompletionStage(store.save(consent), ctx.vertx().getOrCreateContext()).onSuccess(ignored -> {
      audit.record(caller, "consent.create", "consent", consent.id(), "ok");
      ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
          .putHeader("Location", "/v1/consents/" + consent.id())
          .end(new JsonObject().put("id", consent.id()).encode());
    }).onFailure(ctx::fail);
  }

  Consent parse(Caller caller, JsonObject body) {
    if (body == null) {
      throw new IllegalArgumentException("Send a JSON object {clientRef, scope, formVersion, capturedAt}.");
    }
    String clientRef = ClientRefs.require(body.getString("clientRef"));
    JsonArray scopeJson = body.getJsonArray("scope");
    List<String> scope = new ArrayList<>();
    if (scopeJson == null || scopeJson.isEmpty()) {
      throw new IllegalArgumentException("scope must list what the client agreed to: " + Consent.SCOPES);
    }
    for (Object item : scopeJson) {
      if (!(item instanceof String s) || !Consent.SCOPES.contains(s)) {
        throw new IllegalArgumentException("scope entries must be among " + Consent.SCOPES);
      }
      if (!scope.contains(s)) {
        scope.add(s);
      }
    }
    String formVersion = body.getString("formVersion");
    if (formVersion == null || !formVersion.matches("[A-Za-z0-9_.-]{1,32}")) {
      throw new IllegalArgumentException("formVersion must name the consent form's version (1-32 characters)");
    }
    Instant capturedAt;
    try {
      capturedAt = Instant.parse(body.getString("capturedAt", ""));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("capturedAt must be an ISO-8601 instant such as 2026-11-26T09:30:00Z");
    }
    if (capturedAt.isAfter(clock.instant().plusSeconds(300))) {
      throw new IllegalArgumentException("capturedAt is in the future");
    }
    return new Consent(Ids.newId(), caller.practiceId(), caller.subject(), clientRef, scope, formVersion,
        capturedAt, clock.instant(), null);
  }

  private void read(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    visible(ctx, caller, "consent.read").onSuccess(consent -> {
      audit.record(caller, "consent.read", "consent", consent.id(), "ok");
      ctx.response().putHeader("Content-Type", "application/json").end(toJson(consent).encode());
    });
  }

  private void revoke(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    visible(ctx, caller, "consent.revoke").compose(consent -> {
      if (consent.isRevoked()) {
        return Future.succeededFuture(consent);
      }
      Consent revoked = consent.revoked(clock.instant());
      DeletionRequestedEvent request = new DeletionRequestedEvent(PipelineEvent.CURRENT_SCHEMA_VERSION,
          clock.instant(), Ids.newId(), DeletionRequestedEvent.Scope.CONSENT, consent.id(), consent.practiceId(),
          caller.subject());
      // Revoke first: from that moment no upload is accepted under it; then ask for the deletion.
      return Future.fromCompletionStage(store.save(revoked).thenCompose(ok -> events.publish(request)),
          ctx.vertx().getOrCreateContext()).map(revoked);
    }).onSuccess(revoked -> {
      audit.record(caller, "consent.revoke", "consent", revoked.id(), "ok");
      ctx.response().setStatusCode(204).end();
    }).onFailure(error -> {
      if (!ctx.response().ended()) {
        ctx.fail(error);
      }
    });
  }

  /**
   * The consent if the caller may see it; otherwise answers 404 itself and fails. A colleague's
   * consent answers like one that does not exist, and the attempt is audited as denied.
   */
  private Future<Consent> visible(RoutingContext ctx, Caller caller, String action) {
    String id = ctx.pathParam("id");
    return Future.fromCompletionStage(store.find(caller.practiceId(), id), ctx.vertx().getOrCreateContext())
        .compose(found -> {
          boolean colleagues = found.isPresent() && caller.role() == Role.THERAPIST
              && !found.get().therapistId().equals(caller.subject());
          if (colleagues) {
            audit.denied(caller, action, "consent", id, "not-yours");
          }
          if (found.isEmpty() || colleagues) {
            new Problem(404, "Not Found", "No consent with that id in your practice.").send(ctx.response());
            return Future.failedFuture("not visible");
          }
          return Future.succeededFuture(found.get());
        }).onFailure(error -> {
          if (!ctx.response().ended()) {
            ctx.fail(error);
          }
        });
  }

  static JsonObject toJson(Consent consent) {
    JsonObject json = new JsonObject().put("id", consent.id()).put("clientRef", consent.clientRef())
        .put("scope", new JsonArray(consent.scope())).put("formVersion", consent.formVersion())
        .put("capturedAt", consent.capturedAt().toString()).put("therapistId", consent.therapistId())
        .put("status", consent.isRevoked() ? "REVOKED" : "ACTIVE");
    if (consent.isRevoked()) {
      json.put("revokedAt", consent.revokedAt().toString());
    }
    return json;
  }
}
