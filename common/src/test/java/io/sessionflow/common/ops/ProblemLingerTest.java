package io.sessionflow.common.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A body refused with {@link Problem#rejectAndClose} is still read for a moment after its answer,
 * so the close is a clean end the client sees after the answer, not a reset that can destroy the
 * answer (a fuzz test's client once got "header parser received no bytes" from it).
 */
class ProblemLingerTest {
  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
        .requestHandler(request -> {
          request.pause(); // as the routes do: the body is not read before the refusal
          new Problem(413, "Content Too Large", "too large").rejectAndClose(request);
        });
    port = server.listen(0, "127.0.0.1").await().actualPort();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void theRestOfTheBodyIsDroppedAfterTheAnswerAndTheConnectionThenEndsCleanly() throws Exception {
    int length = 1 << 20;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(head(length));
      out.write(new byte[length / 2]);
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = readAnswer(in);
      assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close");
      // The server answered and is now lingering: the rest of the body is taken, not reset.
      out.write(new byte[length / 2]);
      out.flush();
      socket.setSoTimeout((int) Problem.LINGER_TIME.toMillis() * 4);
      assertThat(in.read()).as("a clean end after the answer").isEqualTo(-1);
    }
  }

  @Test
  void aBodyFarLargerThanTheLingerAllowanceIsNotReceivedWhole() throws Exception {
    long length = 64L << 20;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(head(length));
      out.flush();
      assertThat(readAnswer(socket.getInputStream())).startsWith("HTTP/1.1 413");
      byte[] chunk = new byte[64 << 10];
      assertThatThrownBy(() -> {
        for (long sent = 0; sent < length; sent += chunk.length) {
          out.write(chunk);
        }
        out.flush();
      }).as("the server stops reading after %d bytes", Problem.LINGER_BYTES).isInstanceOf(IOException.class);
    }
  }

  private static byte[] head(long length) {
    return ("POST /files/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/offset+octet-stream\r\n"
        + "Content-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Reads the answer's head and its Content-Length body. */
  private static String readAnswer(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection ended before the answer's head: " + head);
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.US_ASCII);
    int at = text.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
    int length = Integer.parseInt(text.substring(at + 15, text.indexOf("\r\n", at)).trim());
    return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
