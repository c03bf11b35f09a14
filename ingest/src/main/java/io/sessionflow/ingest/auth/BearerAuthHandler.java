package io.sessionflow.ingest.auth;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.audit.AuditLog;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Requires a valid bearer token on every route it guards; the caller is then available through
 * {@link #caller(RoutingContext)}. The request is paused while the token is checked so that no
 * body byte is read (or lost) before the caller is known. Every 401 is audited with its reason
 * code; the entry names the resource the request was for (kind and id from the path) and never
 * the token or its claims, except the subject of a token whose signature was verified.
 */
public final class BearerAuthHandler implements Handler<RoutingContext> {
  private static final String CALLER = "sessionflow.caller";
  private static final String EXPIRES = "sessionflow.token.expires";
  private final JwtVerifier verifier;
  private final AuditLog audit;

  public BearerAuthHandler(JwtVerifier verifier, AuditLog audit) {
    this.verifier = verifier;
    this.audit = audit;
  }

  /** When the request's token expires: a response that lasts (a stream) ends then. */
  public static java.time.Instant expiresAt(RoutingContext ctx) {
    java.time.Instant expires = ctx.get(EXPIRES);
    if (expires == null) {
      throw new IllegalStateException("route is not behind BearerAuthHandler");
    }
    return expires;
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
    if (ctx.get(CALLER) != null) {
      // Already authenticated by an earlier route of this request (e.g. /files* then /files/*).
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.isBlank()) {
      unauthorized(ctx, AuthException.MISSING, null, "Send Authorization: Bearer <token>. A token comes from your "
          + "identity provider, or in standalone from 'sessionflow.jar token'.");
      return;
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
      unauthorized(ctx, AuthException.MALFORMED, null, "The Authorization header must be 'Bearer <token>'.");
      return;
    }
    String token = header.substring(7).trim();
    ctx.request().pause();
    ctx.vertx().executeBlocking(() -> verifier.verified(token), false).onComplete(result -> {
      if (result.succeeded()) {
        ctx.put(CALLER, result.result().caller());
        ctx.put(EXPIRES, result.result().expiresAt());
        // Still paused: the route that reads the body resumes it when it is ready for the bytes.
        ctx.next();
      } else if (result.cause() instanceof AuthException refused) {
        unauthorized(ctx, refused.reason(), refused.verifiedSubject(), refused.getMessage() + ".");
      } else {
        unauthorized(ctx, AuthException.UNVERIFIABLE, null, "the bearer token could not be verified.");
      }
    });
  }

  private void unauthorized(RoutingContext ctx, String reason, String verifiedSubject, String detail) {
    String[] resource = resourceOf(ctx.normalizedPath());
    audit.unauthenticated(verifiedSubject, resource[0], resource[1], reason);
    ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    String path = ctx.normalizedPath();
    if (path != null && (path.equals("/files") || path.startsWith("/files/"))) {
      // Every tus answer carries the protocol version, a refusal too (tus clients check it).
      ctx.response().putHeader("Tus-Resumable", io.sessionflow.ingest.tus.TusRoutes.VERSION);
    }
    new Problem(401, "Unauthorized", detail).reject(ctx.request());
  }

  /** The kind and id of what a request was for, from its path; ids only (the path holds no PHI). */
  static String[] resourceOf(String path) {
    String[] parts = path == null ? new String[0] : path.split("/");
    String kind = parts.length > 1 ? parts[1] : "";
    String id = null;
    if ("v1".equals(kind) && parts.length > 2) {
      kind = switch (parts[2]) {
        case "recordings" -> "recording";
        case "consents" -> "consent";
        case "imports" -> "import";
        case "clients" -> "client";
        case "therapists" -> "therapist";
        case "ops" -> "ops";
        default -> "api";
      };
      id = parts.length > 3 ? parts[3] : null;
    } else if ("files".equals(kind)) {
      // The tus upload id is the recording id.
      kind = "recording";
      id = parts.length > 2 ? parts[2] : null;
    } else if ("metrics".equals(kind)) {
      kind = "metrics";
    } else {
      kind = "api";
    }
    return new String[] {kind, Ids.isValid(id) ? id : "none"};
  }
}
