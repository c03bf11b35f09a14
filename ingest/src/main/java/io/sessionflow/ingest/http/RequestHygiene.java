package io.sessionflow.ingest.http;

import io.sessionflow.common.ops.Problem;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Locale;

/**
 * The first handler of the public router. It refuses, with 400 before any route sees them,
 * requests whose raw path holds a {@code .} or {@code ..} segment (plain or percent-encoded), an
 * encoded slash or a backslash (Vert.x would normalise {@code /v1/%2e%2e/metrics} to
 * {@code /metrics}, around the routes' guards), and requests whose body framing is ambiguous
 * (Transfer-Encoding other than a single {@code chunked}, or with Content-Length; HTTP/1.1's case
 * is refused earlier, by {@link StrictRequestDecoder}). It then sets the headers every response
 * gets: {@code X-Content-Type-Options: nosniff}, and {@code Cache-Control: no-store} on everything
 * that may carry PHI ({@code /v1}, {@code /files}, and {@code /metrics}), error answers included.
 */
public final class RequestHygiene {
  private RequestHygiene() {
  }

  public static void handle(RoutingContext ctx) {
    String pathProblem = pathProblem(ctx.request().path());
    if (pathProblem != null) {
      noStore(ctx.response());
      Problem.of(400, pathProblem).reject(ctx.request());
      return;
    }
    String framingProblem = framingProblem(ctx.request().headers());
    if (framingProblem != null) {
      noStore(ctx.response());
      Problem.of(400, framingProblem).rejectAndClose(ctx.request());
      return;
    }
    boolean sensitive = isSensitive(ctx.normalizedPath());
    ctx.addHeadersEndHandler(ignored -> {
      HttpServerResponse response = ctx.response();
      response.headers().set("X-Content-Type-Options", "nosniff");
      if (sensitive) {
        noStore(response);
      }
    });
    ctx.next();
  }

  private static void noStore(HttpServerResponse response) {
    response.headers().set("Cache-Control", "no-store").set("X-Content-Type-Options", "nosniff");
  }

  static boolean isSensitive(String path) {
    return path != null && (path.equals("/v1") || path.startsWith("/v1/") || path.startsWith("/files")
        || path.equals("/metrics"));
  }

  /** Why the raw (undecoded) path is refused, or null. */
  static String pathProblem(String rawPath) {
    if (rawPath == null) {
      return null;
    }
    for (String segment : rawPath.split("/", -1)) {
      String lower = segment.toLowerCase(Locale.ROOT);
      if (lower.contains("%2f") || lower.contains("%5c") || segment.indexOf('\\') >= 0) {
        return "The request path contains an encoded slash or a backslash; ids never do. Send the plain path.";
      }
      String decoded = lower.replace("%2e", ".");
      if (decoded.equals(".") || decoded.equals("..")) {
        return "The request path contains a '.' or '..' segment (plain or percent-encoded); send the normalised "
            + "path.";
      }
    }
    return null;
  }

  /** Why the body framing headers are refused, or null. */
  static String framingProblem(MultiMap headers) {
    List<String> codings = headers.getAll("Transfer-Encoding");
    if (codings.isEmpty()) {
      return null;
    }
    if (headers.contains("Content-Length")) {
      return "The request has both Content-Length and Transfer-Encoding; send one of them.";
    }
    if (codings.size() != 1 || !codings.get(0).trim().equalsIgnoreCase("chunked")) {
      return "Only 'Transfer-Encoding: chunked' is accepted (once, without other codings).";
    }
    return null;
  }
}
