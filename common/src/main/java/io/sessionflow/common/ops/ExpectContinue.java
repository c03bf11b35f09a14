package io.sessionflow.common.ops;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * {@code Expect: 100-continue} (RFC 9110 section 10.1.1): a client that sends it holds its body
 * back until the server says it will read it, or until its own timer runs out (the JDK's 5 s,
 * curl's 1 s). The server answers {@code 100 Continue} only once the request's checks passed
 * (token, lock, offset, memory), right before the body is read, so a refused request costs the
 * client no upload; a refusal sent instead closes the connection, since the body the client may
 * still send would otherwise be read as the next request.
 */
public final class ExpectContinue {
  private ExpectContinue() {
  }

  /** Whether the client waits for a 100 before sending a body nothing of which has arrived yet. */
  public static boolean awaited(HttpServerRequest request) {
    String expect = request.getHeader("Expect");
    return expect != null && expect.trim().equalsIgnoreCase("100-continue") && request.version() != HttpVersion.HTTP_1_0
        && !request.isEnded() && request.bytesRead() == 0;
  }

  /** Tells a waiting client to send its body (once); does nothing for any other request. */
  public static void accept(HttpServerRequest request) {
    if (awaited(request) && !request.response().headWritten() && !request.response().closed()) {
      request.response().writeContinue();
    }
  }
}
