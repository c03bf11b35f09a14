package io.sessionflow.ingest.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.List;
import java.util.Set;

/**
 * Cross-origin access for browser apps, from an allow-list of exact origins
 * ({@code CORS_ALLOWED_ORIGINS}). A request from any other origin, {@code Origin: null} included,
 * gets no CORS headers at all (the browser then keeps the answer from the page, and refuses a
 * preflight); with an empty list no origin gets any.
 */
public final class CorsPolicy {
  private CorsPolicy() {
  }

  public static Handler<RoutingContext> handler(List<String> allowedOrigins, Set<String> allowedHeaders,
      Set<String> exposedHeaders) {
    if (allowedOrigins.isEmpty()) {
      return RoutingContext::next;
    }
    Set<String> allowed = Set.copyOf(allowedOrigins);
    CorsHandler cors = CorsHandler.create().addOrigins(allowedOrigins)
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PATCH, HttpMethod.HEAD,
            HttpMethod.DELETE, HttpMethod.OPTIONS))
        .allowedHeaders(allowedHeaders).exposedHeaders(exposedHeaders).maxAgeSeconds(86_400);
    return ctx -> {
      String origin = ctx.request().getHeader("Origin");
      if (origin != null && allowed.contains(origin)) {
        cors.handle(ctx);
        return;
      }
      // A cache must not hand this answer to an allowed origin, or the other way round.
      ctx.response().headers().add("Vary", "Origin");
      ctx.next();
    };
  }
}
