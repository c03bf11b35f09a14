package io.sessionflow.ingest.resumable;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * An informational (1xx) response before the final one. Vert.x sends only 100 and 103 itself;
 * the resumable-upload draft's {@code 104 Upload Resumption Supported} is written to the
 * connection's channel directly, on its event loop, before anything of the final response.
 * Only on HTTP/1.1 (the public port speaks nothing else); elsewhere nothing is sent, which the
 * draft allows: the client then cannot resume, and the upload still works.
 */
final class InterimResponse {
  static final HttpResponseStatus UPLOAD_RESUMPTION_SUPPORTED = new HttpResponseStatus(104,
      "Upload Resumption Supported");

  private InterimResponse() {
  }

  static boolean send(HttpServerRequest request, HttpResponseStatus status, MultiMap headers) {
    if (request.version() != HttpVersion.HTTP_1_1 || request.response().headWritten()
        || !(request.connection() instanceof ConnectionBase base)) {
      return false;
    }
    DefaultFullHttpResponse interim = new DefaultFullHttpResponse(io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
        status, Unpooled.EMPTY_BUFFER);
    headers.forEach(header -> interim.headers().add(header.getKey(), header.getValue()));
    base.channel().writeAndFlush(interim);
    return true;
  }
}
