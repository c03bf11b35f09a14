package io.sessionflow.ingest.upload;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerRequest;

/**
 * The end of a request body, as a future: completes when the body ended, fails when the
 * connection dropped first.
 *
 * <p>A drop that came while no handler was set is not delivered again: the request was paused
 * while its token was checked on a worker, its client reset the connection then, and Vert.x told
 * nobody. Without looking at the response's {@code closed()} such a body would never end, and
 * its upload would stay held (its memory, its lock) until a newer request took it over.
 */
public final class RequestEnd {
  private RequestEnd() {
  }

  /** Call on the request's context, with the request paused and before the body is read. */
  public static Future<Void> of(HttpServerRequest request) {
    Promise<Void> ended = Promise.promise();
    request.endHandler(v -> ended.tryComplete());
    request.exceptionHandler(ended::tryFail);
    if (request.response().closed() && !request.isEnded()) {
      ended.tryFail(new HttpClosedException("the connection closed before the body was read"));
    }
    return ended.future();
  }
}
