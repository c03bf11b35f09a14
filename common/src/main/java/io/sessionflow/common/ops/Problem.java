package io.sessionflow.common.ops;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * An RFC 9457 problem: {@code application/problem+json} with a title and a detail a person can
 * act on. Details never carry PHI or stack traces.
 */
public record Problem(int status, String title, String detail) {
  public static final String MEDIA_TYPE = "application/problem+json";

  public JsonObject toJson() {
    return new JsonObject().put("type", "about:blank").put("title", title).put("status", status)
        .put("detail", detail);
  }

  public Future<Void> send(HttpServerResponse response) {
    if (response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    return response.setStatusCode(status).putHeader("Content-Type", MEDIA_TYPE).end(toJson().encode());
  }
}
