package io.sessionflow.ingest.recording;

import io.sessionflow.common.analysis.AnalysisMarkdown;
import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.event.DeletionRequestedEvent;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.common.storage.ObjectKeys;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.StorageException;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.upload.RequestEnd;
import io.sessionflow.ingest.upload.UploadException;
import io.sessionflow.ingest.upload.UploadState;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** Streaming upload ({@code POST /v1/recordings}), status reads and deletion requests. */
public final class RecordingRoutes {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      io.sessionflow.common.event.EventCodec.mapper();
  private final Uploads uploads;
  private final RecordingView view;
  private final EventPublisher events;
  private final AuditLog audit;
  private final Clock clock;
  private final RecordingKeys keys;
  private final EncryptedObjects objects;
  private final ObjectStore store;
  private final io.sessionflow.common.storage.Tombstones tombstones;

  public RecordingRoutes(Uploads uploads, RecordingView view, EventPublisher events, AuditLog audit, Clock clock,
      RecordingKeys keys, EncryptedObjects objects, ObjectStore store) {
    this.keys = keys;
    this.objects = objects;
    this.store = store;
    this.tombstones = new io.sessionflow.common.storage.Tombstones(store, objects.bucket());
    this.uploads = uploads;
    this.view = view;
    this.events = events;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/v1/recordings").handler(this::upload);
    router.get("/v1/recordings/:id").handler(this::status);
    router.delete("/v1/recordings/:id").handler(this::delete);
    router.get("/v1/recordings/:id/transcript").handler(ctx -> readDerived(ctx, "transcript"));
    router.get("/v1/recordings/:id/analysis").handler(ctx -> readDerived(ctx, "analysis"));
    router.get("/v1/recordings/:id/deletion-receipt").handler(ctx -> readDerived(ctx, "deletion-receipt"));
  }

  /** Transcript and analysis are decrypted on the fly with the recording's key; receipts are plain. */
  private void readDerived(RoutingContext ctx, String what) {
    Caller caller = BearerAuthHandler.caller(ctx);
    String id = ctx.pathParam("id");
    owned(ctx, id).onSuccess(found -> readDerived(ctx, caller, id, what, found.filter(o -> visibleOrAudited(caller, id,
        o, what + ".read")).map(Owned::entry)))
        .onFailure(error -> UploadErrors.respond(ctx, error));
  }

  /** A recording in the view with its owners. */
  private record Owned(RecordingView.Entry entry, String practiceId, String therapistId) {
  }

  /**
   * The recording's view entry and owners. A recording deleted before it was ever announced (mid-
   * upload) has a view entry from its purge but no owners there: they are read from its tombstone.
   */
  private Future<Optional<Owned>> owned(RoutingContext ctx, String id) {
    Optional<RecordingView.Entry> entry = view.find(id);
    if (entry.isPresent() && entry.get().practiceId() != null) {
      return Future.succeededFuture(Optional.of(new Owned(entry.get(), entry.get().practiceId(),
          entry.get().therapistId())));
    }
    if (entry.isEmpty() || !entry.get().isDeleted() || !io.sessionflow.common.crypto.Ids.isValid(id)) {
      return Future.succeededFuture(Optional.empty());
    }
    return Future.fromCompletionStage(tombstones.owners(id), ctx.vertx().getOrCreateContext())
        .map(owners -> owners.map(o -> new Owned(entry.get(), o.practiceId(), o.therapistId())));
  }

  private void readDerived(RoutingContext ctx, Caller caller, String id, String what,
      Optional<RecordingView.Entry> entry) {
    if (entry.isEmpty()) {
      notFound(ctx);
      return;
    }
    if (entry.get().isDeleted() && !"deletion-receipt".equals(what)) {
      audit.record(caller, what + ".read", "recording", id, "gone");
      Problem.of(404, "This recording was deleted on request; its " + what + " no longer exists.")
          .send(ctx.response());
      return;
    }
    boolean present = switch (what) {
      case "transcript" -> entry.get().hasTranscript();
      case "analysis" -> entry.get().hasAnalysis();
      default -> entry.get().hasReceipt();
    };
    if (!present) {
      Problem.of(404, "This recording has no " + what + " yet; its status says how far it got.")
          .send(ctx.response());
      return;
    }
    String noteFormat = ctx.request().getParam("noteFormat");
    if ("analysis".equals(what) && noteFormat != null && NoteFormat.parse(noteFormat).isEmpty()) {
      Problem.of(400, "noteFormat must be DAP, BIRP, GIRP or SOAP.").send(ctx.response());
      return;
    }
    java.util.concurrent.CompletableFuture<byte[]> body = switch (what) {
      case "transcript" -> keys.load(id, RecordingKeys.Purpose.DATA).thenCompose(key -> objects.readAll(key,
          ObjectKeys.transcript(id), ObjectKeys.TRANSCRIPT));
      case "analysis" -> keys.load(id, RecordingKeys.Purpose.DATA).thenCompose(key -> objects.readAll(key,
          ObjectKeys.analysis(id), ObjectKeys.ANALYSIS));
      default -> store.get(objects.bucket(), ObjectKeys.receipt(id));
    };
    Future.fromCompletionStage(body, ctx.vertx().getOrCreateContext()).onSuccess(bytes -> {
      audit.record(caller, what + ".read", "recording", id, "ok");
      if ("analysis".equals(what)) {
        try {
          sendAnalysis(ctx, bytes, noteFormat);
        } catch (RuntimeException e) {
          ctx.fail(e);
        }
        return;
      }
      ctx.response().putHeader("Content-Type", "application/json").end(io.vertx.core.buffer.Buffer.buffer(bytes));
    }).onFailure(error -> {
      if (io.sessionflow.common.failure.Failures.unwrap(error) instanceof StorageException se && se.isNotFound()) {
        audit.record(caller, what + ".read", "recording", id, "gone");
        Problem.of(404, "The " + what + " of this recording no longer exists (it was deleted).")
            .send(ctx.response());
      } else {
        UploadErrors.respond(ctx, error);
      }
    });
  }

  /**
   * The analysis as JSON, or as Markdown when the client accepts {@code text/markdown} (and not
   * JSON first); {@code ?noteFormat=SOAP} puts that format's case note in {@code note}.
   */
  private static void sendAnalysis(RoutingContext ctx, byte[] bytes, String noteFormat) {
    com.fasterxml.jackson.databind.node.ObjectNode analysis;
    try {
      analysis = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(bytes);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("stored analysis is not JSON", e);
    }
    if (noteFormat != null && analysis.path("notes").has(NoteFormat.parse(noteFormat).orElseThrow().name())) {
      analysis.set("note", analysis.path("notes").path(NoteFormat.parse(noteFormat).orElseThrow().name()));
    }
    ctx.response().putHeader("Vary", "Accept");
    if (prefersMarkdown(ctx)) {
      ctx.response().putHeader("Content-Type", "text/markdown; charset=utf-8").end(AnalysisMarkdown.render(analysis));
      return;
    }
    ctx.response().putHeader("Content-Type", "application/json").end(analysis.toString());
  }

  /** The client's Accept header, by quality: Markdown only when it ranks above JSON (and is not q=0). */
  private static boolean prefersMarkdown(RoutingContext ctx) {
    for (io.vertx.ext.web.MIMEHeader type : ctx.parsedHeaders().accept()) {
      String value = type.value();
      if ("0".equals(type.parameter("q")) || "0.0".equals(type.parameter("q"))) {
        continue;
      }
      if ("text/markdown".equals(value)) {
        return true;
      }
      if ("application/json".equals(value) || "*/*".equals(value) || "application/*".equals(value)) {
        return false;
      }
    }
    return false;
  }

  /** The whole body is the recording; it is streamed into encrypted storage as it arrives. */
  private void upload(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    Caller caller = BearerAuthHandler.caller(ctx);
    uploads.receiveWhole(caller, request.getParam("consentId"), Map.of(), "put", request, RequestEnd.of(request))
        .onSuccess(state -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .putHeader("Location", "/v1/recordings/" + state.id())
            .end(created(state).encode()))
        .onFailure(error -> UploadErrors.respond(ctx, error));
  }

  /** A stored recording's creation answer; a re-upload's names the recording its bytes already were. */
  public static JsonObject created(UploadState state) {
    JsonObject body = new JsonObject().put("id", state.id()).put("bytes", state.length()).put("sha256", state.sha256());
    return state.isDuplicate() ? body.put("duplicateOf", state.duplicateOf()) : body;
  }

  private void status(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    String id = ctx.pathParam("id");
    owned(ctx, id).onSuccess(found -> {
      if (found.isPresent()) {
        if (!visibleOrAudited(caller, id, found.get(), "recording.read")) {
          notFound(ctx);
          return;
        }
        audit.record(caller, "recording.read", "recording", id, "ok");
        json(ctx, found.get().entry().toJson());
        return;
      }
      // Not announced yet: an upload in progress (or completed a moment ago) is RECEIVING.
      uploads.find(caller, id).onSuccess(state -> {
        audit.record(caller, "recording.read", "recording", id, "ok");
        json(ctx, receiving(state));
      }).onFailure(error -> notFound(ctx));
    }).onFailure(error -> UploadErrors.respond(ctx, error));
  }

  private static JsonObject receiving(UploadState state) {
    if (state.isDuplicate()) {
      // A re-upload of a recording the caller already has: that recording is the one to follow.
      return new JsonObject().put("id", state.id()).put("status", "DUPLICATE").put("duplicateOf", state.duplicateOf())
          .put("audio", "NOT_KEPT").put("history", new JsonArray().add(new JsonObject().put("status", "RECEIVING")
              .put("at", state.createdAt().toString())));
    }
    return new JsonObject().put("id", state.id()).put("status", state.isComplete() ? "STORED" : "RECEIVING")
        .put("audio", "PRESENT")
        .put("history", new JsonArray().add(new JsonObject().put("status", "RECEIVING")
            .put("at", state.createdAt().toString())))
        .put("received", state.offset());
  }

  private void delete(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    String id = ctx.pathParam("id");
    Optional<RecordingView.Entry> entry = view.find(id).filter(e -> e.practiceId() != null);
    Future<String> practice = entry.isPresent()
        ? (visibleOrAudited(caller, id, new Owned(entry.get(), entry.get().practiceId(),
            entry.get().therapistId()), "recording.delete")
            ? Future.succeededFuture(entry.get().practiceId()) : Future.failedFuture("not visible"))
        : uploads.find(caller, id).map(UploadState::practiceId);
    practice.compose(practiceId -> {
      DeletionRequestedEvent request = DeletionRequestedEvent.ofRecording(clock.instant(), id, practiceId,
          caller.subject());
      return Future.fromCompletionStage(events.publish(request), ctx.vertx().getOrCreateContext()).map(request);
    }).onSuccess(request -> {
      audit.record(caller, "recording.delete", "recording", id, "requested");
      ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("requestId", request.requestId()).put("status", "DELETION_REQUESTED").encode());
    }).onFailure(error -> {
      if (error instanceof UploadException || "not visible".equals(error.getMessage())) {
        notFound(ctx);
      } else {
        UploadErrors.respond(ctx, error);
      }
    });
  }

  /** Whether the caller may see the recording; a recording that exists but is not theirs is audited as denied. */
  private boolean visibleOrAudited(Caller caller, String id, Owned owned, String action) {
    boolean visible = visible(caller, owned.practiceId(), owned.therapistId());
    if (!visible) {
      audit.denied(caller, action, "recording", id, "not-yours");
    }
    return visible;
  }

  static boolean visible(Caller caller, String practiceId, String therapistId) {
    if (caller.role() == Role.THERAPIST) {
      return caller.practiceId().equals(practiceId) && caller.subject().equals(therapistId);
    }
    return caller.role() == Role.CLINIC_ADMIN && caller.practiceId().equals(practiceId);
  }

  private static void notFound(RoutingContext ctx) {
    new Problem(404, "Not Found", "No recording with that id is visible to you.").send(ctx.response());
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", "application/json").end(body.encode());
  }
}
