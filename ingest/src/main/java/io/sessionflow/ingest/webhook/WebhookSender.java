package io.sessionflow.ingest.webhook;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One attempt of one delivery, signed the Standard Webhooks way ({@code webhook-id},
 * {@code webhook-timestamp}, {@code webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>}),
 * sent to the address the target check resolved (never following a redirect), within the timeout,
 * reading at most {@link #MAX_RESPONSE} bytes of the answer.
 */
final class WebhookSender implements AutoCloseable {
  static final int MAX_RESPONSE = 64 * 1024;
  private final HttpClient client;
  private final Duration timeout;
  private final Vertx vertx;

  WebhookSender(Vertx vertx, Duration timeout) {
    this.timeout = timeout;
    this.vertx = vertx;
    this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) timeout.toMillis())
        .setForceSni(true).setVerifyHost(true).setKeepAlive(false).setMaxRedirects(0).setDecompressionSupported(false));
  }

  /** What an attempt came to: a status (0 when there was no answer) and, for no answer, why. */
  record Outcome(int status, String error, long millis) {
    boolean delivered() {
      return status >= 200 && status < 300;
    }
  }

  Future<Outcome> send(URI url, InetAddress address, byte[] secret, String messageId, Instant at, String body) {
    long started = System.nanoTime();
    boolean https = "https".equalsIgnoreCase(url.getScheme());
    int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
    String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
    String timestamp = Long.toString(at.getEpochSecond());
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(url.getHost()).setPort(port)
        .setSsl(https).setURI(path).setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
        .setFollowRedirects(false).setTimeout(timeout.toMillis())
        .putHeader("Content-Type", "application/json").putHeader("User-Agent", "Sessionflow-Webhooks/1")
        .putHeader("webhook-id", messageId).putHeader("webhook-timestamp", timestamp)
        .putHeader("webhook-signature", "v1," + sign(secret, messageId, timestamp, body));
    // The timeout above is per idle stretch; this is the attempt's whole time (a receiver that drips is cut off).
    io.vertx.core.Promise<Void> deadline = io.vertx.core.Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis(),
        t -> deadline.tryFail(new java.util.concurrent.TimeoutException()));
    return client.request(options)
        .compose(request -> {
          deadline.future().onFailure(expired -> request.reset());
          return request.send(Buffer.buffer(body.getBytes(StandardCharsets.UTF_8)));
        })
        .compose(response -> {
          long[] read = {0};
          io.vertx.core.Promise<Integer> done = io.vertx.core.Promise.promise();
          response.handler(chunk -> {
            read[0] += chunk.length();
            if (read[0] > MAX_RESPONSE) {
              // The answer is not read past the cap: its status is what counts.
              done.tryComplete(response.statusCode());
              response.request().reset();
            }
          });
          response.exceptionHandler(e -> done.tryComplete(response.statusCode()));
          response.endHandler(v -> done.tryComplete(response.statusCode()));
          return done.future();
        })
        .andThen(done -> {
          vertx.cancelTimer(timer);
          deadline.tryComplete();
        })
        .map(status -> new Outcome(status, null, (System.nanoTime() - started) / 1_000_000))
        .recover(error -> Future.succeededFuture(new Outcome(0, deadline.future().failed() ? "timed out"
            : describe(error),
            (System.nanoTime() - started) / 1_000_000)));
  }

  /** A connection failure as a short reason, naming no URL (it is in the endpoint already). */
  private static String describe(Throwable error) {
    String name = error.getClass().getSimpleName();
    if (error instanceof java.util.concurrent.TimeoutException || name.contains("Timeout")) {
      return "timed out";
    }
    if (error instanceof java.net.ConnectException || name.contains("Connect")) {
      return "connection refused or unreachable";
    }
    if (name.contains("SSL") || name.contains("Ssl")) {
      return "TLS handshake failed";
    }
    return "connection failed (" + name + ")";
  }

  static String sign(byte[] secret, String messageId, String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return Base64.getEncoder().encodeToString(mac.doFinal((messageId + "." + timestamp + "." + body)
          .getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
