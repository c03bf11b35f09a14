package io.sessionflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random and mutated requests against the tus and import endpoints. Whatever arrives, the ingest
 * answers within seconds with a 4xx or 2xx (never a 5xx), never shows a stack trace or an
 * exception's name, and never announces a recording that is not complete.
 */
class EndpointFuzzIT {
  private static final Pattern LEAK = Pattern.compile("Exception|\\bat [a-z]+\\.[a-z]+\\.|\\.java:\\d+|"
      + "io\\.sessionflow|io\\.vertx|NullPointer|IllegalState");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static IngestHarness harness;
  private static String token;
  private static String consent;
  private static final List<String> UPLOADS = new CopyOnWriteArrayList<>();
  private static final Map<String, Long> DECLARED = new ConcurrentHashMap<>();
  private static final List<RecordingStoredEvent> STORED = new CopyOnWriteArrayList<>();
  private static EventStream.Replay replay;
  private static byte[] validZip;

  @BeforeContainer
  static void start() throws Exception {
    harness = new IngestHarness(Map.of());
    token = harness.token("ther-fuzz", Role.THERAPIST, "prac-fuzz");
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", token)
        .header("Content-Type", "application/json").POST(BodyPublishers.ofString("{\"clientRef\":\"wren-5\","
            + "\"scope\":[\"record\"],\"formVersion\":\"v1\",\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    consent = new JsonObject(created.body()).getString("id");
    for (int i = 0; i < 4; i++) {
      long length = 16L << i;
      HttpResponse<String> upload = harness.send(harness.request("/files/", token).header("Tus-Resumable", "1.0.0")
          .header("Upload-Length", Long.toString(length)).header("Upload-Metadata", "consentId " + b64(consent))
          .POST(BodyPublishers.noBody()));
      String location = upload.headers().firstValue("Location").orElseThrow();
      String path = location.substring(location.indexOf("/files/"));
      UPLOADS.add(path);
      DECLARED.put(path.substring("/files/".length()), length);
    }
    Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
    entries.put("a.wav", IngestHarness.audio(40_000, 71));
    entries.put("manifest.csv", ("filename,clientRef,consentId,recordedAt\na.wav,wren-5," + consent + ",2026-10-01\n")
        .getBytes(StandardCharsets.UTF_8));
    byte[] zip = IngestHarness.zip(entries);
    validZip = zip;
    replay = harness.runtime().events().replay(Set.of(Topic.RECORDING_STORED), e -> {
      if (e.event() instanceof RecordingStoredEvent stored) {
        STORED.add(stored);
      }
      return CompletableFuture.completedFuture(null);
    });
  }

  @AfterContainer
  static void stop() {
    try {
      // An announced recording is a whole one: every byte its creation declared, nothing more or less.
      for (RecordingStoredEvent stored : STORED) {
        Long declared = DECLARED.get(stored.recordingId());
        if (declared != null) {
          assertThat(stored.plaintextBytes()).as("recording " + stored.recordingId()).isEqualTo(declared);
          assertThat(harness.stored(stored.recordingId())).hasSize((int) (long) declared);
        }
      }
    } finally {
      replay.close();
      harness.close();
    }
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** One HTTP request as the fuzzer builds it. */
  record Attempt(String method, String path, Map<String, String> headers, byte[] body, boolean authenticated) {
    @Override
    public String toString() {
      return method + " " + path + " " + headers + " body=" + body.length + "B auth=" + authenticated;
    }
  }

  private static Arbitrary<String> printable(int max) {
    return Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(max);
  }

  private static Arbitrary<Optional<String>> header(Arbitrary<String> values) {
    return Arbitraries.oneOf(Arbitraries.just(Optional.<String>empty()), values.map(Optional::of));
  }

  private static Arbitrary<String> number() {
    return Arbitraries.oneOf(Arbitraries.of("0", "1", "16", "32", "-1", "1e3", " 16", "0x10", "99999999999999999999",
        "9223372036854775807", "4294967296", "+16", "16.0"), Arbitraries.longs().map(String::valueOf),
        printable(12));
  }

  @Provide
  Arbitrary<Attempt> tusRequests() {
    Arbitrary<String> method = Arbitraries.frequency(Tuple.of(4, "PATCH"), Tuple.of(3, "POST"), Tuple.of(2, "HEAD"),
        Tuple.of(1, "DELETE"), Tuple.of(1, "GET"), Tuple.of(1, "OPTIONS"), Tuple.of(1, "PUT"));
    Arbitrary<String> path = Arbitraries.oneOf(Arbitraries.of(UPLOADS), Arbitraries.of("/files/", "/files",
        "/files/%2e%2e/v1/me", "/files/..%2f..%2fetc%2fpasswd", "/files/" + "a".repeat(300), "/files/%00",
        "/files/x/y", "/files/?id=1"), Arbitraries.strings().withCharRange('a', 'z').numeric().ofLength(32)
        .map(s -> "/files/" + s));
    Arbitrary<String> metadata = Arbitraries.oneOf(Arbitraries.just("consentId " + b64(consent)),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(64)
            .map(b -> "consentId " + b64(consent) + ",filename " + Base64.getEncoder().encodeToString(b)),
        Arbitraries.of("consentId !!!", "consentId", "filename", ",,,", "consentId " + b64("no-such-consent"),
            "a b c d", "consentId " + b64(consent) + ",consentId " + b64(consent)), printable(200),
        printable(10).map(s -> "k " + "A".repeat(9000)));
    Arbitrary<Map<String, String>> headers = Combinators.combine(
        Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.just(Optional.of("1.0.0"))),
            Tuple.of(2, header(Arbitraries.oneOf(Arbitraries.of("0.2.2", "1.0", ""), printable(8))))),
        header(number()), header(number()), header(metadata),
        header(Arbitraries.oneOf(Arbitraries.of("partial", "final;/files/a /files/b", "final;", "final;" + "x"),
            printable(40))),
        header(Arbitraries.of("1", "0", "true", "")),
        header(Arbitraries.oneOf(Arbitraries.of("sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "md5 xx", "sha1", "sha256 !!"),
            printable(40))),
        header(Arbitraries.oneOf(Arbitraries.of("application/offset+octet-stream", "text/plain",
            "application/offset+octet-stream; charset=x"), printable(30)))).as((resumable, length, offset, meta,
                concat, defer, checksum, type) -> {
              Map<String, String> all = new java.util.LinkedHashMap<>();
              resumable.ifPresent(v -> all.put("Tus-Resumable", v));
              length.ifPresent(v -> all.put("Upload-Length", v));
              offset.ifPresent(v -> all.put("Upload-Offset", v));
              meta.ifPresent(v -> all.put("Upload-Metadata", v));
              concat.ifPresent(v -> all.put("Upload-Concat", v));
              defer.ifPresent(v -> all.put("Upload-Defer-Length", v));
              checksum.ifPresent(v -> all.put("Upload-Checksum", v));
              type.ifPresent(v -> all.put("Content-Type", v));
              return all;
            });
    Arbitrary<byte[]> body = Arbitraries.oneOf(Arbitraries.bytes().array(byte[].class).ofMaxSize(256),
        Arbitraries.bytes().array(byte[].class).ofMinSize(4096).ofMaxSize(40_000));
    return Combinators.combine(method, path, headers, body, Arbitraries.of(true, true, true, true, false))
        .as(Attempt::new);
  }

  @Provide
  Arbitrary<Attempt> importRequests() {
    Arbitrary<byte[]> mutated = Combinators.combine(Arbitraries.integers().between(0, validZip.length - 1),
        Arbitraries.integers().between(1, 12), Arbitraries.of("flip", "truncate", "append", "random"),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(2048)).as((at, count, how, noise) -> {
          byte[] copy = validZip.clone();
          switch (how) {
            case "flip" -> {
              for (int i = 0; i < count; i++) {
                copy[(at + i * 97) % copy.length] ^= (byte) (1 << (i % 8));
              }
              return copy;
            }
            case "truncate" -> {
              return java.util.Arrays.copyOf(copy, at);
            }
            case "append" -> {
              byte[] longer = java.util.Arrays.copyOf(copy, copy.length + noise.length);
              System.arraycopy(noise, 0, longer, copy.length, noise.length);
              return longer;
            }
            default -> {
              return noise;
            }
          }
        });
    Arbitrary<Map<String, String>> headers = Arbitraries.of("application/zip", "application/gzip",
        "application/x-tar", "application/octet-stream", "text/plain", "multipart/form-data; boundary=x", "")
        .map(type -> type.isEmpty() ? Map.<String, String>of() : Map.of("Content-Type", type));
    return Combinators.combine(headers, mutated).as((h, body) -> new Attempt("POST", "/v1/imports", h, body, true));
  }

  @Property(tries = 300)
  void tusAnswersAnyRequestWithinSecondsWithoutAServerErrorOrAStackTrace(@ForAll("tusRequests") Attempt attempt)
      throws Exception {
    check(attempt, token);
  }

  @Property(tries = 80)
  void importAnswersAnyArchiveWithinSecondsWithoutAServerErrorOrAStackTrace(
      @ForAll("importRequests") Attempt attempt) throws Exception {
    HttpResponse<String> response = check(attempt, harness.token("admin-fuzz", Role.CLINIC_ADMIN, "prac-fuzz"));
    assertThat(response.statusCode()).as(attempt.toString()).isIn(202, 400, 413, 415, 422);
  }

  private static HttpResponse<String> check(Attempt attempt, String bearer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(harness.base() + attempt.path()))
        .timeout(Duration.ofSeconds(20)).method(attempt.method(), attempt.method().equals("GET")
            || attempt.method().equals("HEAD") ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(attempt.body()));
    attempt.headers().forEach(request::header);
    if (attempt.authenticated()) {
      request.header("Authorization", "Bearer " + bearer);
    }
    HttpResponse<String> response;
    try {
      response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new AssertionError("no answer within 20 s: " + attempt, e);
    }
    Statistics.collect(attempt.method() + " " + response.statusCode());
    assertThat(response.statusCode()).as(attempt + " -> " + response.body()).isBetween(200, 499);
    assertThat(response.body()).as(attempt.toString()).doesNotContainPattern(LEAK);
    return response;
  }
}
