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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code POST /v1/imports} (clinic admins) streams an archive in; {@code GET /v1/imports/{id}} reports on it.
 * Each import runs on a thread of its own while it holds one of its practice's slots
 * ({@link ImportSlots}): an import over its practice's limit, or over the ingest's, answers 429
 * at once, so no practice's import waits behind another's.
 */
public final class ImportRoutes implements AutoCloseable {
  /** Seconds a refused import is told to wait ({@code Retry-After}). */
  static final int RETRY_AFTER_SECONDS = 30;
  private final Uploads uploads;
  private final ImportLimits limits;
  private final AuditLog audit;
  private final Clock clock;
  private final ImportReports reports;
  private final ImportSlots slots;
  // Unbounded only in name: an import runs only while it holds a slot, so at most maxConcurrent threads.
  private final ExecutorService workers = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "sessionflow-import");
    thread.setDaemon(true);
    return thread;
  });

  private volatile java.util.function.Consumer<Finished> finished = status -> { };

  /** An import that ended: its id, practice, final state (COMPLETED or FAILED) and how many recordings it kept. */
  public record Finished(String id, String practiceId, String state, long recordings, java.time.Instant at) {
  }

  public ImportRoutes(Uploads uploads, ImportLimits limits, AuditLog audit, Clock clock,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.uploads = uploads;
    this.limits = limits;
    this.audit = audit;
    this.clock = clock;
    this.reports = new ImportReports(clock, limits.reportTtl(), limits.reportsPerPractice(), limits.reportsTotal(),
        registry);
    this.slots = new ImportSlots(limits.perPractice(), limits.maxConcurrent());
    io.micrometer.core.instrument.Gauge.builder("sessionflow.imports.active", slots, ImportSlots::inUse)
        .description("Imports running now (each holds one of its practice's slots)").register(registry);
  }

  /** Told of every import once it ended (completed or failed), after its client was answered. */
  public void onFinished(java.util.function.Consumer<Finished> listener) {
    this.finished = listener;
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
    ImportSlots.Grant grant = slots.acquire(caller.practiceId());
    if (grant.slot() == null) {
      audit.record(caller, "import.start", "import", null, "refused");
      ctx.response().putHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
      // Not drained: the archive may be gigabytes; the connection closes after the answer.
      new Problem(429, "Too Many Requests", grant.refusal()).rejectAndClose(ctx.request());
      return;
    }
    ImportStatus status = new ImportStatus(Ids.newId(), caller.practiceId(), clock.instant(),
        limits.reportEntries());
    reports.add(status);
    audit.record(caller, "import.start", "import", status.id(), "ok");
    Context context = ctx.vertx().getOrCreateContext();
    RequestInputStream body = new RequestInputStream(ctx.request(), RequestEnd.of(ctx.request()), context,
        4L << 20, limits.idleTimeout());
    try {
      workers.execute(() -> {
        try {
          new ImportJob(caller, uploads, limits, status, clock, early -> {
            // The body is read: the practice's slot is free for its next archive while this one's
            // waiting entries are checked (a bounded amount of work, on this thread).
            grant.slot().close();
            context.runOnContext(v -> accepted(ctx, status.id(), early));
          }).run(body);
        } finally {
          // Freed before the answer: a client that sends its next archive on this answer finds the slot free.
          grant.slot().close();
          context.runOnContext(v -> respond(ctx, status));
          finished.accept(new Finished(status.id(), status.practiceId(), status.state().name(),
              status.storedCount(), clock.instant()));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      grant.slot().close();
      status.fail("the server is shutting down; send the archive again", clock.instant());
      respond(ctx, status);
      return;
    }
    body.start();
  }

  private void respond(RoutingContext ctx, ImportStatus status) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (status.state() == ImportStatus.State.FAILED) {
      Problem problem = Problem.of(422, status.error() + " (import " + status.id() + ")");
      ctx.response().putHeader("Location", "/v1/imports/" + status.id());
      if (status.stalled()) {
        // A stalled client is not waited for again: it gets its answer and the connection closes.
        problem.rejectAndClose(ctx.request());
      } else {
        problem.reject(ctx.request());
      }
      return;
    }
    accepted(ctx, status.id(), status.toJson());
  }

  private static void accepted(RoutingContext ctx, String id, io.vertx.core.json.JsonObject report) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
        .putHeader("Location", "/v1/imports/" + id).end(report.encode());
  }

  private void read(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    ImportStatus status = reports.find(ctx.pathParam("id")).orElse(null);
    if (status == null || caller.role() != Role.CLINIC_ADMIN || !status.practiceId().equals(caller.practiceId())) {
      Problem.of(404, "No import with that id in your practice (reports are kept for "
          + limits.reportTtl().toHours() + " h after an import ends).").send(ctx.response());
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
