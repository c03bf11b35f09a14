package io.sessionflow.common.runtime;

import io.sessionflow.common.ops.OpsRoutes;
import io.sessionflow.common.ops.Problem;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The HTTP server of a stage without a public API (transcriber, analyzer, purger): health and
 * metrics only. Ingest mounts the same routes on its public router instead.
 */
public final class OpsServer {
  private OpsServer() {
  }

  public static Router router(StageRuntime runtime, BooleanSupplier started) {
    Router router = Router.router(runtime.vertx());
    OpsRoutes.mount(router, runtime.health(), runtime.registry(), started);
    router.route().last().handler(ctx -> new Problem(404, "Not Found",
        "No such endpoint: this port serves /health/live, /health/ready and /metrics.").send(ctx.response()));
    return router;
  }

  /** How long a closing server waits for the requests in flight to be answered before it closes their connections. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

  /** Listens on {@code port} (0 = any free port) and returns the server; a taken port is a clear error. */
  public static HttpServer listen(StageRuntime runtime, Router router, String host, int port) {
    return listen(runtime, router, host, port, Duration.ZERO);
  }

  /**
   * As {@link #listen(StageRuntime, Router, String, int)}, closing a connection that has sent and
   * received nothing for {@code idleTimeout} (zero: never), so a stalled client cannot hold what
   * its request holds (an upload's memory and lock) forever.
   */
  public static HttpServer listen(StageRuntime runtime, Router router, String host, int port, Duration idleTimeout) {
    return listen(runtime, router, host, port, options(idleTimeout), server -> { });
  }

  /** Server options closing a connection idle for {@code idleTimeout} (zero: never). */
  public static HttpServerOptions options(Duration idleTimeout) {
    return new HttpServerOptions().setIdleTimeout((int) idleTimeout.toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /**
   * As {@link #listen(StageRuntime, Router, String, int, Duration)} with the given options, letting
   * {@code setup} add connection-level handlers to the server before it listens.
   */
  public static HttpServer listen(StageRuntime runtime, Router router, String host, int port,
      HttpServerOptions options, Consumer<HttpServer> setup) {
    try {
      HttpServer server = runtime.vertx().createHttpServer(options).requestHandler(router);
      setup.accept(server);
      HttpServer listening = server.listen(port, host).await(30, TimeUnit.SECONDS);
      // Graceful: idle connections close at once, a request being answered gets its answer out first.
      runtime.onClose(() -> listening.shutdown(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)
          .await(SHUTDOWN_GRACE.toMillis() + 5000, TimeUnit.MILLISECONDS));
      return listening;
    } catch (Exception e) {
      if (rootCause(e) instanceof BindException) {
        throw new StartupException("Port " + port + " on " + host
            + " is already in use: stop whatever uses it or choose another port.", e);
      }
      throw new StartupException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }
}
