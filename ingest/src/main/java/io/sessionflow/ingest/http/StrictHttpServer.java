package io.sessionflow.ingest.http;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.common.runtime.OpsServer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTP server's connection-level rules, applied before any request reaches the router:
 * every HTTP/1.x connection decodes with {@link StrictRequestDecoder}, and a request that fails to
 * decode is answered with a problem and the connection closed (its framing cannot be trusted).
 * Cleartext HTTP/2 (h2c) is off: it would bypass the decoder, and the ingress speaks HTTP/1.1.
 */
public final class StrictHttpServer {
  private static final Logger LOG = LoggerFactory.getLogger(StrictHttpServer.class);

  private StrictHttpServer() {
  }

  public static HttpServerOptions options(Duration idleTimeout) {
    return OpsServer.options(idleTimeout).setHttp2ClearTextEnabled(false);
  }

  /** Installs the strict decoder on each new connection and the problem answer for undecodable requests. */
  public static void install(HttpServer server, HttpServerOptions options) {
    server.connectionHandler(connection -> harden(connection, options));
    server.invalidRequestHandler(StrictHttpServer::refuse);
  }

  private static void harden(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof ConnectionBase base
        && base.channel().pipeline().get(StrictRequestDecoder.PIPELINE_NAME) instanceof VertxHttpRequestDecoder) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (!(pipeline.get(StrictRequestDecoder.PIPELINE_NAME) instanceof StrictRequestDecoder)) {
        pipeline.replace(StrictRequestDecoder.PIPELINE_NAME, StrictRequestDecoder.PIPELINE_NAME,
            new StrictRequestDecoder(options));
      }
      if (pipeline.get(LingeringClose.PIPELINE_NAME) == null) {
        pipeline.addFirst(LingeringClose.PIPELINE_NAME, new LingeringClose());
      }
      return;
    }
    // Not the pipeline this was written for (a Vert.x upgrade?): refuse rather than serve unchecked.
    LOG.error("HTTP connection without the expected request decoder; closing it (check the Vert.x version)");
    connection.close();
  }

  private static void refuse(HttpServerRequest request) {
    if (request.connection() instanceof ConnectionBase base
        && base.channel().pipeline().get(LingeringClose.PIPELINE_NAME) instanceof LingeringClose linger) {
      // Vert.x closes an invalid request's connection once its answer is written: that close lingers.
      linger.arm();
    }
    Throwable cause = request.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414
        : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    String detail = cause instanceof StrictRequestDecoder.InvalidRequestException ? cause.getMessage() + "."
        : status == 414 ? "The request line is too long."
        : status == 431 ? "The request headers are too large."
        : cause instanceof TooLongFrameException ? "A part of the request is too large."
        : "The request is not well-formed HTTP/1.1 (e.g. duplicate Content-Length); fix the client.";
    request.response().putHeader("Connection", "close").putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Cache-Control", "no-store");
    new Problem(status, status == 414 ? "URI Too Long" : status == 431 ? "Request Header Fields Too Large"
        : "Bad Request", detail).send(request.response()).onComplete(done -> request.connection().close());
  }
}
