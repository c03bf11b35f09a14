package io.sessionflow.common.ops;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * An RFC 9457 problem: {@code application/problem+json} with a title and a detail a person can
 * act on. Details never carry PHI or stack traces.
 */
public record Problem(int status, String title, String detail) {
  public static final String MEDIA_TYPE = "application/problem+json";
  /** The longest a refused body is still read after its answer ({@link #closeAfterLinger}). */
  public static final Duration LINGER_TIME = Duration.ofSeconds(5);
  /** The most of a refused body read after its answer before the connection closes anyway. */
  public static final long LINGER_BYTES = 8L << 20;

  /** A problem with the standard title of its status. */
  public static Problem of(int status, String detail) {
    return new Problem(status, title(status), detail);
  }

  public static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      case 412 -> "Precondition Failed";
      case 413 -> "Content Too Large";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Content";
      case 423 -> "Locked";
      case 460 -> "Checksum Mismatch";
      case 503 -> "Service Unavailable";
      default -> status >= 500 ? "Internal Server Error" : "Request Failed";
    };
  }

  public JsonObject toJson() {
    return new JsonObject().put("type", "about:blank").put("title", title).put("status", status)
        .put("detail", detail);
  }

  /**
   * Answers a request whose body was not (fully) read. A small rejected body is read and
   * dropped so the client, still sending, sees the answer on a healthy connection; a body refused
   * for its size is not read at all ({@link #rejectAndClose}).
   */
  public Future<Void> reject(HttpServerRequest request) {
    // A client waiting for 100 Continue may or may not send its body now: only closing keeps it from being
    // read as the next request.
    return status == 413 || ExpectContinue.awaited(request) ? rejectAndClose(request) : drainAndSend(request);
  }

  /**
   * Answers a request whose body is not to be read any further. On HTTP/1 the only way to stop a
   * body is to close: the connection closes after the answer, once what the client is still
   * sending has been dropped for a moment ({@link #closeAfterLinger}). (An HTTP/2 stream drains
   * instead.)
   */
  public Future<Void> rejectAndClose(HttpServerRequest request) {
    if (request.isEnded() || request.version() == HttpVersion.HTTP_2) {
      return drainAndSend(request);
    }
    HttpServerResponse response = request.response();
    response.putHeader("Connection", "close");
    return send(response).onComplete(done -> closeAfterLinger(request));
  }

  /**
   * Closes an HTTP/1 connection whose answer said {@code Connection: close}, after a lingering
   * read (RFC 9112 section 9.6). Closing with the client's bytes still unread makes the kernel
   * reset the connection, and the reset can destroy the answer before the client read it: the
   * client sees the connection end with no response at all. So the rest of the body is read and
   * dropped, and the connection closes when it ends (Vert.x closes it then), after
   * {@link #LINGER_TIME} or after {@link #LINGER_BYTES}, whichever comes first: a body refused
   * for its size is still not received whole. The request's end and exception handlers are kept,
   * so whoever waits for the body's end still learns of it.
   */
  public static void closeAfterLinger(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    Context context = Vertx.currentContext();
    if (request.isEnded() || context == null || request.response().closed()) {
      connection.close();
      return;
    }
    // Closing a connection that already closed does nothing, so the timer is not cancelled.
    context.owner().setTimer(LINGER_TIME.toMillis(), fired -> connection.close());
    long[] dropped = {0};
    request.handler(chunk -> {
      dropped[0] += chunk.length();
      if (dropped[0] > LINGER_BYTES) {
        connection.close();
      }
    });
    request.resume();
  }

  private Future<Void> drainAndSend(HttpServerRequest request) {
    if (!request.isEnded()) {
      request.handler(ignored -> { });
      request.exceptionHandler(ignored -> { });
      request.resume();
    }
    return send(request.response());
  }

  public Future<Void> send(HttpServerResponse response) {
    if (response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    response.setStatusCode(status);
    // A status Netty has no name for (tus's 460) would go out as "Client Error (460)": give it its title.
    if (io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase().endsWith("(" + status + ")")) {
      response.setStatusMessage(title);
    }
    return response.putHeader("Content-Type", MEDIA_TYPE).end(toJson().encode());
  }
}
