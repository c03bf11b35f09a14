package io.sessionflow.ingest;

import io.sessionflow.common.ops.OpsRoutes;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.JwtVerifier;
import io.vertx.ext.web.Router;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The public router: health and metrics, then everything under {@code /v1} and {@code /files} behind bearer auth. */
public final class IngestServer {
  private static final Logger LOG = LoggerFactory.getLogger(IngestServer.class);

  private IngestServer() {
  }

  public static Router router(StageRuntime runtime, JwtVerifier verifier, BooleanSupplier started) {
    Router router = Router.router(runtime.vertx());
    OpsRoutes.mount(router, runtime.health(), runtime.registry(), started);
    BearerAuthHandler auth = new BearerAuthHandler(verifier);
    router.route("/v1/*").handler(auth);
    router.route("/files/*").handler(auth);
    router.get("/v1/me").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(BearerAuthHandler.caller(ctx).toJson().encode()));
    router.route().last().handler(ctx -> new Problem(404, "Not Found",
        "No such endpoint: " + ctx.request().method() + " " + ctx.normalizedPath()).send(ctx.response()));
    router.route().failureHandler(ctx -> {
      int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
      if (status >= 500) {
        // Sessionflow's exceptions never carry PHI in their messages, so the trace is safe to log.
        LOG.error("request {} {} failed with status {}", ctx.request().method(), ctx.normalizedPath(), status,
            ctx.failure());
      }
      new Problem(status, status >= 500 ? "Internal Server Error" : "Request Failed",
          status >= 500 ? "The server could not complete the request; it was logged. Try again later."
              : "The request could not be processed.").send(ctx.response());
    });
    return router;
  }
}
