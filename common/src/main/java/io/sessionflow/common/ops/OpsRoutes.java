package io.sessionflow.common.ops;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code /health/live}, {@code /health/ready} and {@code /metrics}, mounted on any stage's router.
 * Live answers as long as the process can serve; ready answers 200 only when every check passes
 * and the stage says it has finished starting.
 */
public final class OpsRoutes {
  private OpsRoutes() {
  }

  public static void mount(Router router, Health health, PrometheusMeterRegistry registry, BooleanSupplier started) {
    mountHealth(router, health, started);
    router.get("/metrics").handler(metrics(registry));
  }

  /** {@code /health/live} and {@code /health/ready} only: what may be public on any port. */
  public static void mountHealth(Router router, Health health, BooleanSupplier started) {
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(ctx -> Future.fromCompletionStage(health.check(),
        ctx.vertx().getOrCreateContext()).onComplete(result -> {
          Map<String, Boolean> checks = result.succeeded() ? result.result() : Map.of();
          boolean ready = started.getAsBoolean() && result.succeeded() && !checks.containsValue(false);
          JsonObject body = new JsonObject().put("status", ready ? "UP" : "DOWN")
              .put("started", started.getAsBoolean());
          JsonObject detail = new JsonObject();
          checks.forEach((name, ok) -> detail.put(name, ok ? "UP" : "DOWN"));
          body.put("checks", detail);
          json(ctx, ready ? 200 : 503, body);
        }));
  }

  /** The Prometheus scrape, for a route the caller guards as it needs. */
  public static Handler<RoutingContext> metrics(PrometheusMeterRegistry registry) {
    return ctx -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape());
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
