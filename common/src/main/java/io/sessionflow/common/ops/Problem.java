package io.sessionflow.common.ops;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * An RFC 9457 problem: {@code application/problem+json} with a title and a detail a person can
 * act on. Details never carry PHI or stack traces.
 */
public record Problem(int status, String title, String detail) {
  public static final String MEDIA_TYPE = "application/problem+json";

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
    return status == 413 ? rejectAndClose(request) : drainAndSend(request);
  }

  /**
   * Answers a request whose body is not to be read any further. On HTTP/1 the only way to stop a
   * body is to close: the connection closes after the answer. (An HTTP/2 stream drains instead.)
   */
  public Future<Void> rejectAndClose(HttpServerRequest request) {
    if (request.isEnded() || request.version() == HttpVersion.HTTP_2) {
      return drainAndSend(request);
    }
    HttpServerResponse response = request.response();
    response.putHeader("Connection", "close");
    return send(response).onComplete(done -> request.connection().close());
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
    return response.setStatusCode(status).putHeader("Content-Type", MEDIA_TYPE).end(toJson().encode());
  }
}
