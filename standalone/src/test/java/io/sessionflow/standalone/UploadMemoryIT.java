package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32 recordings uploaded at once into a standalone whose heap is far smaller than their sum:
 * upload memory stays inside the configured budget (uploads wait for it), nothing runs out, and
 * every recording is stored intact. Prints what it measured.
 */
class UploadMemoryIT {
  private static final int UPLOADS = 32;
  private static final int SIZE = 16 << 20;
  private static final Pattern HEAP = Pattern.compile(
      "jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.E+]+)");

  @TempDir
  Path work;

  @Test
  void thirtyTwoConcurrentUploadsStayWithinTheMemoryBudget() throws Exception {
    Path dataDir = work.resolve("data");
    int port = FreePorts.find();
    long budget = 96L << 20;
    try (StandaloneProcess serve = StandaloneProcess.startWithHeap(work.resolve("logs"), "384m", "serve",
        "--data-dir", dataDir.toString(), "--port", Integer.toString(port), "--s3-part-size", "5MiB",
        "--upload-memory-budget", "96MiB", "--limit-user-uploads", "64")) {
      serve.awaitReady(port, Duration.ofSeconds(60));
      String token = StandaloneProcess.run(work.resolve("logs"), "token", "--data-dir", dataDir.toString(),
          "--subject", "ther-mem", "--practice", "practice-mem").stdout().trim();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String consent = new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/consents")).header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"clientRef\":\"mem-1\",\"scope\":[\"record\"],"
              + "\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).getString("id");

      AtomicLong heapPeak = new AtomicLong();
      AtomicLong livePeak = new AtomicLong();
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
      sampler.scheduleAtFixedRate(() -> {
        String sample = StandaloneProcess.metrics(port, dataDir);
        heapPeak.accumulateAndGet(heapUsed(sample), Math::max);
        livePeak.accumulateAndGet((long) gauge(sample, "jvm_gc_live_data_size_bytes"), Math::max);
      }, 0, 100, TimeUnit.MILLISECONDS);
      long started = System.nanoTime();
      List<CompletableFuture<String>> uploads = new ArrayList<>();
      for (int i = 0; i < UPLOADS; i++) {
        Generated body = new Generated(SIZE, i);
        uploads.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/recordings?consentId=" + consent)).header("Authorization", "Bearer " + token)
            .timeout(Duration.ofMinutes(5))
            .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body),
                SIZE)).build(), HttpResponse.BodyHandlers.ofString())
            .thenApply(response -> response.statusCode() == 201
                && new JsonObject(response.body()).getString("sha256").equals(body.sha256()) ? "ok"
                : response.statusCode() + " " + response.body())
            .exceptionally(e -> e.toString()));
      }
      List<String> results = uploads.stream().map(CompletableFuture::join).toList();
      double seconds = (System.nanoTime() - started) / 1e9;
      sampler.shutdownNow();
      String metrics = StandaloneProcess.metrics(port, dataDir);
      long bufferPeak = (long) gauge(metrics, "sessionflow_upload_buffer_peak_bytes");
      metrics.lines().filter(l -> l.startsWith("sessionflow_upload_buffer")).forEach(System.out::println);
      System.out.printf("UploadMemoryIT: %d uploads x %d MiB at once in %.1f s (%.1f MB/s); upload buffers peak %d MiB "
          + "of a %d MiB budget; server heap (with embedded Kafka and S3Proxy) peak %d MiB used, %d MiB live after "
          + "GC, max heap 384 MiB%n", UPLOADS, SIZE >> 20, seconds, UPLOADS * (double) SIZE / 1e6 / seconds,
          bufferPeak >> 20, budget >> 20, heapPeak.get() >> 20, livePeak.get() >> 20);

      assertThat(results).as(() -> "server log: " + tail(serve.stderr())).containsOnly("ok").hasSize(UPLOADS);
      assertThat(bufferPeak).isPositive().isLessThanOrEqualTo(budget);
      assertThat(serve.isAlive()).isTrue();
      assertThat(serve.stderr()).doesNotContain("OutOfMemoryError");
    }
  }

  private static String tail(String log) {
    return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
  }

  private static long heapUsed(String metrics) {
    Matcher m = HEAP.matcher(metrics);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return (long) sum;
  }

  private static double gauge(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.E+]+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(2)) : -1;
  }

  /** Deterministic pseudo-random bytes made on the fly, hashed as they go: the client holds none of it. */
  private static final class Generated extends InputStream {
    private final SplittableRandom random;
    private final MessageDigest digest;
    private long left;
    private String sha256;

    Generated(long size, int seed) throws Exception {
      this.random = new SplittableRandom(seed);
      this.digest = MessageDigest.getInstance("SHA-256");
      this.left = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        if (sha256 == null) {
          sha256 = HexFormat.of().formatHex(digest.digest());
        }
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i++) {
        b[off + i] = (byte) random.nextInt(256);
      }
      if (left == SIZE && n >= 4) {
        b[off] = 'R';
        b[off + 1] = 'I';
        b[off + 2] = 'F';
        b[off + 3] = 'F';
      }
      digest.update(b, off, n);
      left -= n;
      return n;
    }

    String sha256() {
      return sha256;
    }
  }
}
