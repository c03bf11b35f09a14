package io.sessionflow.ingest;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.ops.OpsRoutes;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.common.runtime.OpsServer;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.ingest.audit.AuditLog;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.JwtVerifier;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.consent.ConsentRoutes;
import io.sessionflow.common.consent.ConsentStore;
import io.sessionflow.ingest.deletion.DeletionRoutes;
import io.sessionflow.ingest.http.CorsPolicy;
import io.sessionflow.ingest.http.RequestHygiene;
import io.sessionflow.ingest.http.StrictHttpServer;
import io.sessionflow.ingest.imports.ImportRoutes;
import io.sessionflow.ingest.limits.IngestLimiter;
import io.sessionflow.ingest.limits.LimitRoutes;
import io.sessionflow.ingest.ops.DashboardRoutes;
import io.sessionflow.ingest.recording.RecordingRoutes;
import io.sessionflow.ingest.recording.RecordingView;
import io.sessionflow.ingest.tus.TusRoutes;
import io.sessionflow.ingest.upload.CompletionPublisher;
import io.sessionflow.ingest.upload.MemoryBudget;
import io.sessionflow.ingest.upload.UploadState;
import io.sessionflow.ingest.upload.UploadStore;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest stage: the public router and what stands behind it (uploads, consents, the status
 * view, the completion hand-off). Request hygiene first (dot segments, framing, headers), then
 * health, metrics for the ops role, CORS from the allow-list, then everything under {@code /v1}
 * and {@code /files} behind bearer auth.
 */
public final class IngestServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IngestServer.class);
  private final StageRuntime runtime;
  private final RecordingView view;
  private final io.sessionflow.ingest.webhook.Webhooks webhooks;
  private final Uploads uploads;
  private final CompletionPublisher publisher;
  private final AtomicBoolean started = new AtomicBoolean();
  private final Router router;
  private long sweepTimer = -1;

  private IngestServer(StageRuntime runtime, IngestConfig config, JwtVerifier verifier, StorageCapacity capacity) {
    this.runtime = runtime;
    String bucket = config.pipeline().storage().bucket();
    UploadStore store = new UploadStore(runtime.store(), bucket, runtime.objects());
    AuditLog audit = new AuditLog(runtime.events().publisher(), runtime.clock(), runtime.vertx());
    ConsentStore consents = new ConsentStore(runtime.store(), bucket);
    this.publisher = new CompletionPublisher(runtime.events().publisher(), store, consents, runtime.clock(),
        runtime.vertx());
    MemoryBudget budget = new MemoryBudget(config.uploads().memoryBudget(), config.limits().memory(),
        runtime.registry());
    this.uploads = new Uploads(runtime.vertx(), runtime.blocking(), store, runtime.keys(), consents, budget,
        config.uploads(), config.pipeline().storage().partSize(), runtime.clock(), publisher, audit,
        runtime.registry());
    publisher.discardRefusedWith(uploads::discard);
    this.view = new RecordingView();
    java.util.function.Function<String, java.util.Optional<io.sessionflow.ingest.webhook.WebhookEvent.Owners>> owners =
        id -> view.find(id).filter(e -> e.practiceId() != null).map(e ->
            new io.sessionflow.ingest.webhook.WebhookEvent.Owners(e.practiceId(), e.therapistId()));
    this.webhooks = new io.sessionflow.ingest.webhook.Webhooks(runtime, bucket, config.webhooks(), audit, owners);
    io.sessionflow.ingest.events.EventFeed feed = new io.sessionflow.ingest.events.EventFeed(owners);
    view.onEvent(feed::accept);
    uploads.recordedFrom(id -> view.stored(id).map(UploadState::recorded));
    uploads.duplicatesFrom(done -> view.sameContent(done.practiceId(), done.therapistId(), done.consentId(),
        done.sha256()));
    IngestLimiter limiter = new IngestLimiter(config.limits(), runtime.clock(), config.uploads().expiry(),
        runtime.registry());
    uploads.onFinished(limiter::release);

    router = Router.router(runtime.vertx());
    countResponses(router, runtime.registry());
    router.route().handler(RequestHygiene::handle);
    OpsRoutes.mountHealth(router, runtime.health(), started::get);
    BearerAuthHandler auth = new BearerAuthHandler(verifier, audit);
    // Unauthenticated metrics are on the ops port only; here they need an ops token.
    router.get("/metrics").handler(auth).handler(IngestServer::opsOnly).handler(OpsRoutes.metrics(runtime.registry()));
    java.util.Set<String> allowedHeaders = new java.util.HashSet<>(TusRoutes.ALLOWED_HEADERS);
    allowedHeaders.addAll(config.corsAllowedHeaders());
    router.route().handler(CorsPolicy.handler(config.corsAllowedOrigins(), allowedHeaders,
        TusRoutes.EXPOSED_HEADERS));
    TusRoutes tus = new TusRoutes(uploads);
    tus.mountPublic(router);
    io.sessionflow.ingest.resumable.ResumableUploadRoutes resumable =
        new io.sessionflow.ingest.resumable.ResumableUploadRoutes(uploads);
    resumable.mountPublic(router);
    DashboardRoutes dashboard = new DashboardRoutes(runtime.registry(), view, runtime.clock());
    dashboard.mountPublic(router);
    new io.sessionflow.ingest.docs.ApiDocsRoutes().mountPublic(router);
    router.route("/v1/*").handler(auth);
    router.route("/files*").handler(auth);
    router.get("/v1/me").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(BearerAuthHandler.caller(ctx).toJson().encode()));
    dashboard.mount(router);
    router.route("/files*").handler(IngestServer::clinicalOnly);
    router.route("/v1/consents*").handler(IngestServer::clinicalOnly);
    router.route("/v1/recordings*").handler(IngestServer::clinicalOnly);
    router.route("/v1/uploads*").handler(IngestServer::clinicalOnly);
    router.route("/v1/imports*").handler(IngestServer::clinicalOnly);
    for (String path : new String[] {"/files*", "/v1/recordings", "/v1/imports"}) {
      router.post(path).handler(ctx -> refuseWhenFull(ctx, capacity));
    }
    router.patch("/files/:id").handler(ctx -> refuseWhenFull(ctx, capacity));
    router.patch("/v1/uploads/:id").handler(ctx -> refuseWhenFull(ctx, capacity));
    new LimitRoutes(limiter, id -> Future.fromCompletionStage(store.load(id), runtime.vertx().getOrCreateContext())
        .map(found -> found.isEmpty() || found.get().isComplete()
            || runtime.clock().instant().isAfter(found.get().expiresAt()))).mount(router);
    tus.mount(router);
    new ConsentRoutes(consents, runtime.events().publisher(), audit, runtime.clock()).mount(router);
    resumable.mount(router);
    new RecordingRoutes(uploads, view, runtime.events().publisher(), audit, runtime.clock(), runtime.keys(),
        runtime.objects(), runtime.store()).mount(router);
    router.route("/v1/clients*").handler(IngestServer::clinicalOnly);
    router.route("/v1/therapists*").handler(IngestServer::clinicalOnly);
    new DeletionRoutes(consents, runtime.events().publisher(), audit, runtime.clock()).mount(router);
    webhooks.mount(router);
    new io.sessionflow.ingest.events.EventRoutes(feed, config.uploads().idleTimeout()).mount(router);
    ImportRoutes imports = new ImportRoutes(uploads, config.imports(), audit, runtime.clock(),
        runtime.registry());
    imports.mount(router);
    runtime.onClose(imports);
    imports.onFinished(done -> webhooks.publish(io.sessionflow.ingest.webhook.WebhookEvent.importCompleted(done.id(),
        done.practiceId(), done.state(), (int) done.recordings(), done.at())));
    router.route().last().handler(ctx -> new Problem(404, "Not Found",
        "No such endpoint: " + ctx.request().method() + " " + ctx.normalizedPath()).reject(ctx.request()));
    router.route().failureHandler(ctx -> {
      int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
      if (status >= 500) {
        // Sessionflow's exceptions never carry PHI in their messages, so the trace is safe to log.
        LOG.error("request {} {} failed with status {}", ctx.request().method(), ctx.normalizedPath(), status,
            ctx.failure());
      }
      boolean retryable = ctx.failure() != null && Failures.isRetryable(ctx.failure());
      if (retryable) {
        ctx.response().putHeader("Retry-After", "5");
      }
      Problem.of(retryable ? 503 : status,
          retryable ? "A dependency is briefly unavailable. Retry in a few seconds."
              : status >= 500 ? "The server could not complete the request; it was logged. Try again later."
                  : "The request could not be processed.").reject(ctx.request());
    });
  }

  /**
   * Builds the stage and starts its background work: the status view catches up, completions
   * never announced are recovered, expired uploads are swept.
   */
  public static IngestServer start(StageRuntime runtime, IngestConfig config, JwtVerifier verifier) {
    return start(runtime, config, verifier, StorageCapacity.UNLIMITED);
  }

  /** As {@link #start(StageRuntime, IngestConfig, JwtVerifier)}, refusing audio while {@code capacity} is short. */
  public static IngestServer start(StageRuntime runtime, IngestConfig config, JwtVerifier verifier,
      StorageCapacity capacity) {
    IngestServer server = new IngestServer(runtime, config, verifier, capacity);
    server.view.start(runtime.events());
    runtime.onClose(server);
    // Webhooks need the recordings' owners, which the view knows once it has read the past.
    server.view.caughtUp().thenRun(() -> server.webhooks.start(runtime.events()));
    server.view.caughtUp()
        .thenCompose(ignored -> server.publisher.recover(server.view::isStored))
        .whenComplete((recovered, error) -> {
          if (error != null) {
            LOG.warn("recovery of unannounced recordings failed: {}", Failures.reason(error));
          } else if (recovered > 0) {
            LOG.info("re-announcing {} recording(s) stored before a restart", recovered);
          }
        });
    server.sweepTimer = runtime.vertx().setPeriodic(Duration.ofMinutes(10).toMillis(),
        id -> server.uploads.sweepExpired());
    return server;
  }

  /** How long a shutdown waits for the upload bodies it cut short to be stored and answered. */
  static final Duration UPLOAD_DRAIN = Duration.ofSeconds(10);

  /** Waits for the status view to catch up, then reports ready. */
  public IngestServer awaitReady(Duration timeout) {
    try {
      view.caughtUp().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("status view not caught up after {}: {}", timeout, Failures.reason(e));
    }
    started.set(true);
    return this;
  }

  public Router router() {
    return router;
  }

  /** The ops port's router: health and unauthenticated metrics, for the cluster (never routed publicly). */
  public Router opsRouter() {
    return OpsServer.router(runtime, started::get);
  }

  /**
   * Serves the public router on {@code host:port} with the connection-level rules of
   * {@link StrictHttpServer}, closing connections idle for {@code idleTimeout}.
   */
  public HttpServer listen(String host, int port, Duration idleTimeout) {
    HttpServerOptions options = StrictHttpServer.options(idleTimeout);
    HttpServer listening = OpsServer.listen(runtime, router, host, port, options,
        server -> StrictHttpServer.install(server, options));
    // Closed before the server (last registered, first closed): bodies in flight are stored and answered first.
    runtime.onClose(() -> uploads.shutDown(UPLOAD_DRAIN).await(UPLOAD_DRAIN.toMillis() + 5000,
        TimeUnit.MILLISECONDS));
    return listening;
  }

  public Uploads uploads() {
    return uploads;
  }

  /**
   * {@code sessionflow_http_responses_total{status_class}}: the ingest error-rate alert's input.
   * The label is the status class (2xx … 5xx) only: never a path, which could carry an id.
   */
  private static void countResponses(Router router, io.micrometer.core.instrument.MeterRegistry registry) {
    Map<Integer, io.micrometer.core.instrument.Counter> byClass = new java.util.concurrent.ConcurrentHashMap<>();
    router.route().order(-1).handler(ctx -> {
      ctx.addEndHandler(done -> byClass.computeIfAbsent(ctx.response().getStatusCode() / 100, c ->
          io.micrometer.core.instrument.Counter.builder("sessionflow.http.responses")
              .description("HTTP responses of the public API, by status class").tag("status_class", c + "xx")
              .register(registry)).increment());
      ctx.next();
    });
  }

  /** 507 before a byte of audio is read when the storage is short; nothing is stored. */
  private static void refuseWhenFull(io.vertx.ext.web.RoutingContext ctx, StorageCapacity capacity) {
    var shortage = capacity.shortage();
    if (shortage.isEmpty()) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("Retry-After", "60");
    new Problem(507, "Insufficient Storage", shortage.get() + " Nothing was stored; send it again once space "
        + "is freed.").reject(ctx.request());
  }

  private static void opsOnly(io.vertx.ext.web.RoutingContext ctx) {
    if (BearerAuthHandler.caller(ctx).role() != Role.OPS) {
      new Problem(403, "Forbidden", "Metrics are for the ops role; ask for an ops token.").reject(ctx.request());
      return;
    }
    ctx.next();
  }

  private static void clinicalOnly(io.vertx.ext.web.RoutingContext ctx) {
    if (BearerAuthHandler.caller(ctx).role() == Role.OPS) {
      new Problem(403, "Forbidden", "The ops role sees metrics and the dashboard only, never clinical data.")
          .reject(ctx.request());
      return;
    }
    ctx.next();
  }

  @Override
  public void close() {
    started.set(false);
    if (sweepTimer >= 0) {
      runtime.vertx().cancelTimer(sweepTimer);
    }
    webhooks.close();
    view.close();
    uploads.close();
  }
}
