package io.sessionflow.ingest.imports;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.upload.RequestEnd;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.Context;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** {@code POST /v1/imports} (clinic admins) streams an archive in; {@code GET /v1/imports/{id}} reports on it. */
public final class ImportRoutes implements AutoCloseable {
  private final Uploads uploads;
  private final ImportLimits limits;
  private final AuditLog audit;
  private final Clock clock;
  private final Map<String, ImportStatus> imports = new ConcurrentHashMap<>();
  private final ExecutorService workers = Executors.newFixedThreadPool(2, runnable -> {
    Thread thread = new Thread(runnable, "sessionflow-import");
    thread.setDaemon(true);
    return thread;
  });

  public ImportRoutes(Uploads uploads, ImportLimits limits, AuditLog audit, Clock clock) {
    this.uploads = uploads;
    this.limits = limits;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/v1/imports").handler(this::start);
    router.get("/v1/imports/:id").handler(this::read);
  }

  private void start(RoutingContext ctx) {
    ctx.request().pause();
    Caller caller = BearerAuthHandler.caller(ctx);
    if (caller.role() != Role.CLINIC_ADMIN) {
      Problem.of(403, "Imports are for clinic admins; therapists upload recordings one by one.")
          .reject(ctx.request());
      return;
    }
    ImportStatus status = new ImportStatus(Ids.newId(), caller.practiceId(), clock.instant());
    imports.put(status.id(), status);
    audit.record(caller, "import.start", "import", status.id(), "ok");
    Context context = ctx.vertx().getOrCreateContext();
    RequestInputStream body = new RequestInputStream(ctx.request(), RequestEnd.of(ctx.request()), context,
        4L << 20);
    workers.execute(() -> {
      new ImportJob(caller, uploads, limits, status).run(body);
      context.runOnContext(v -> respond(ctx, status));
    });
    body.start();
  }

  private void respond(RoutingContext ctx, ImportStatus status) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (status.state() == ImportStatus.State.FAILED) {
      Problem problem = Problem.of(422, status.error() + " (import " + status.id() + ")");
      ctx.response().putHeader("Location", "/v1/imports/" + status.id());
      problem.reject(ctx.request());
      return;
    }
    ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .putHeader("Location", "/v1/imports/" + status.id()).end(status.toJson().encode());
  }

  private void read(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    ImportStatus status = imports.get(ctx.pathParam("id"));
    if (status == null || caller.role() != Role.CLINIC_ADMIN || !status.practiceId().equals(caller.practiceId())) {
      Problem.of(404, "No import with that id in your practice.").send(ctx.response());
      return;
    }
    audit.record(caller, "import.read", "import", status.id(), "ok");
    ctx.response().putHeader("Content-Type", "application/json").end(status.toJson().encode());
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
