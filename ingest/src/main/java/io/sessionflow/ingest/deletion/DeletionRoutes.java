package io.sessionflow.ingest.deletion;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.event.DeletionRequestedEvent.Scope;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.consent.ClientRefs;
import io.sessionflow.common.consent.ConsentStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/**
 * {@code DELETE /v1/clients/{clientRef}} and {@code DELETE /v1/therapists/{id}}: ask the purger
 * to delete everything recorded of a client, or by a therapist, in the caller's practice. The
 * request is accepted (202) once it is on {@code sessionflow.deletion.requested}; the purger
 * finds the recordings it covers and does the deleting. A subject the caller may not delete
 * answers 404, exactly like one that does not exist.
 */
public final class DeletionRoutes {
  private final ConsentStore consents;
  private final EventPublisher events;
  private final AuditLog audit;
  private final Clock clock;

  public DeletionRoutes(ConsentStore consents, EventPublisher events, AuditLog audit, Clock clock) {
    this.consents = consents;
    this.events = events;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.delete("/v1/clients/:clientRef").handler(this::deleteClient);
    router.delete("/v1/therapists/:id").handler(this::deleteTherapist);
  }

  /**
   * The pseudonym is PHI-adjacent: it is never echoed, and the audit entry names the deletion
   * request (whose event carries the pseudonym) rather than the client.
   */
  private void deleteClient(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    String clientRef;
    try {
      clientRef = ClientRefs.require(ctx.pathParam("clientRef"));
    } catch (IllegalArgumentException e) {
      Problem.of(400, e.getMessage()).send(ctx.response());
      return;
    }
    mayDeleteClient(caller, clientRef, ctx).compose(allowed -> allowed
        ? request(ctx, caller, Scope.CLIENT, clientRef, caller.role() == Role.THERAPIST ? caller.subject() : null)
        : Future.failedFuture(new NotVisible("No client with that reference is visible to you.")))
        .onSuccess(request -> {
          audit.record(caller, "client.delete", "deletion-request", request.requestId(), "requested");
          accepted(ctx, request);
        }).onFailure(error -> fail(ctx, error));
  }

  private void deleteTherapist(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    String therapistId = ctx.pathParam("id");
    if (!Ids.isValid(therapistId)) {
      Problem.of(400, "A therapist id is 1-128 letters, digits, '-' or '_'.").send(ctx.response());
      return;
    }
    Future<DeletionRequestedEvent> requested = mayDeleteTherapist(caller, therapistId)
        ? request(ctx, caller, Scope.THERAPIST, therapistId, null)
        : Future.failedFuture(new NotVisible("No therapist with that id is visible to you."));
    requested.onSuccess(request -> {
      audit.record(caller, "therapist.delete", "therapist", therapistId, "requested");
      accepted(ctx, request);
    }).onFailure(error -> fail(ctx, error));
  }

  /**
   * A clinic admin may delete any client of the practice; a therapist only one they captured a
   * consent of, and then only what is theirs: the request is limited to the consents that
   * therapist captured (a colleague's consents of the same pseudonym, and their recordings, stay).
   */
  private Future<Boolean> mayDeleteClient(Caller caller, String clientRef, RoutingContext ctx) {
    if (caller.role() == Role.CLINIC_ADMIN) {
      return Future.succeededFuture(true);
    }
    if (caller.role() != Role.THERAPIST) {
      return Future.succeededFuture(false);
    }
    return Future.fromCompletionStage(consents.practice(caller.practiceId()), ctx.vertx().getOrCreateContext())
        .map(all -> all.stream().anyMatch(consent -> consent.clientRef().equals(clientRef)
            && consent.therapistId().equals(caller.subject())));
  }

  /** A therapist may delete themself; a clinic admin any therapist of the practice. */
  static boolean mayDeleteTherapist(Caller caller, String therapistId) {
    return caller.role() == Role.CLINIC_ADMIN
        || (caller.role() == Role.THERAPIST && caller.subject().equals(therapistId));
  }

  /** The request is always for the caller's own practice, so nothing elsewhere can be reached. */
  private Future<DeletionRequestedEvent> request(RoutingContext ctx, Caller caller, Scope scope, String subjectId,
      String capturedBy) {
    DeletionRequestedEvent request = new DeletionRequestedEvent(PipelineEvent.CURRENT_SCHEMA_VERSION,
        clock.instant(), Ids.newId(), scope, subjectId, caller.practiceId(), caller.subject(), capturedBy);
    return Future.fromCompletionStage(events.publish(request), ctx.vertx().getOrCreateContext()).map(request);
  }

  private static void accepted(RoutingContext ctx, DeletionRequestedEvent request) {
    ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("requestId", request.requestId()).put("status", "DELETION_REQUESTED").encode());
  }

  private static void fail(RoutingContext ctx, Throwable error) {
    if (error instanceof NotVisible notVisible) {
      new Problem(404, "Not Found", notVisible.getMessage()).send(ctx.response());
    } else {
      ctx.fail(error);
    }
  }

  /** The subject is not one the caller may delete; answered as if it did not exist. */
  private static final class NotVisible extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotVisible(String detail) {
      super(detail, null, false, false);
    }
  }
}
