package io.sessionflow.ingest.auth;

import io.sessionflow.common.ops.Problem;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Requires a valid bearer token on every route it guards; the caller is then available through
 * {@link #caller(RoutingContext)}. The request is paused while the token is checked so that no
 * body byte is read (or lost) before the caller is known.
 */
public final class BearerAuthHandler implements Handler<RoutingContext> {
  private static final String CALLER = "sessionflow.caller";
  private final JwtVerifier verifier;

  public BearerAuthHandler(JwtVerifier verifier) {
    this.verifier = verifier;
  }

  public static Caller caller(RoutingContext ctx) {
    Caller caller = ctx.get(CALLER);
    if (caller == null) {
      throw new IllegalStateException("route is not behind BearerAuthHandler");
    }
    return caller;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      unauthorized(ctx, "Send Authorization: Bearer <token>. A token comes from your identity provider, "
          + "or in standalone from 'sessionflow.jar token'.");
      return;
    }
    String token = header.substring(7).trim();
    ctx.request().pause();
    ctx.vertx().executeBlocking(() -> verifier.verify(token), false).onComplete(result -> {
      if (result.succeeded()) {
        ctx.put(CALLER, result.result());
        // Still paused: the route that reads the body resumes it when it is ready for the bytes.
        ctx.next();
      } else {
        Throwable failure = result.cause();
        String detail = failure instanceof AuthException ? failure.getMessage()
            : "the bearer token could not be verified";
        unauthorized(ctx, detail + ".");
      }
    });
  }

  private static void unauthorized(RoutingContext ctx, String detail) {
    ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    new Problem(401, "Unauthorized", detail).reject(ctx.request());
  }
}
