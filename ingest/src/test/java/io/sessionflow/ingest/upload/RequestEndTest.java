package io.sessionflow.ingest.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The end of a request body, against a real Vert.x server and a raw client socket. */
class RequestEndTest {
  private static final String HEAD = "PATCH /files/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n";
  private final Vertx vertx = Vertx.vertx();
  private final CompletableFuture<Arrived> arrived = new CompletableFuture<>();
  private HttpServer server;

  /** A request as the route sees it: paused, with the context it runs on. */
  private record Arrived(HttpServerRequest request, Context context) {
  }

  @BeforeEach
  void start() {
    server = vertx.createHttpServer().requestHandler(request -> {
      request.pause();
      arrived.complete(new Arrived(request, Vertx.currentContext()));
    }).listen(0, "127.0.0.1").await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  /** Runs RequestEnd.of on the request's context, then {@code after} there, and hands back the end. */
  private static Future<Void> end(Arrived arrived, Consumer<HttpServerRequest> after) throws Exception {
    Promise<Future<Void>> made = Promise.promise();
    arrived.context().runOnContext(v -> {
      Future<Void> end = RequestEnd.of(arrived.request());
      after.accept(arrived.request());
      made.complete(end);
    });
    return made.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static Throwable failure(Future<Void> end) throws Exception {
    return end.toCompletionStage().toCompletableFuture().handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
  }

  private static void reset(Socket socket) throws Exception {
    socket.setSoLinger(true, 0);
    socket.close();
  }

  @Test
  void aConnectionDroppedBeforeAnyoneListenedStillEndsTheBody() throws Exception {
    Socket client = new Socket("127.0.0.1", server.actualPort());
    client.getOutputStream().write((HEAD + "0123456789").getBytes(StandardCharsets.US_ASCII));
    Arrived request = arrived.get(5, TimeUnit.SECONDS);
    // The client goes away while the request waits (for its token to be checked, say): nobody hears of it.
    reset(client);
    await().atMost(Duration.ofSeconds(5)).until(() -> request.request().response().closed());
    Throwable why = failure(end(request, r -> { }));
    assertThat(why).isInstanceOf(HttpClosedException.class);
  }

  @Test
  void aConnectionDroppedWhileTheBodyIsReadFailsIt() throws Exception {
    Socket client = new Socket("127.0.0.1", server.actualPort());
    client.getOutputStream().write((HEAD + "0123456789").getBytes(StandardCharsets.US_ASCII));
    Future<Void> end = end(arrived.get(5, TimeUnit.SECONDS), HttpServerRequest::resume);
    reset(client);
    assertThat(failure(end)).isNotNull();
  }

  @Test
  void aWholeBodyEndsIt() throws Exception {
    try (Socket client = new Socket("127.0.0.1", server.actualPort())) {
      OutputStream out = client.getOutputStream();
      out.write(HEAD.getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[1000]);
      out.flush();
      Future<Void> end = end(arrived.get(5, TimeUnit.SECONDS), HttpServerRequest::resume);
      assertThat(failure(end)).isNull();
      assertThat(end.succeeded()).isTrue();
    }
  }
}
