package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.EventStreams;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** What a test does against one running standalone: tokens, consents, uploads and API calls. */
final class StandaloneClient {
  /** How long {@link #request} waits for a connection and for an answer: long enough for a loaded 2-core machine. */
  static final Duration PATIENCE = Duration.ofMinutes(2);
  private static final HttpClient PATIENT_HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(60))
      .build();
  private final int port;
  private final Path dataDir;
  private final Path logs;

  StandaloneClient(int port, Path dataDir, Path logs) {
    this.port = port;
    this.dataDir = dataDir;
    this.logs = logs;
  }

  String token(String subject, String role, String practice) {
    return StandaloneProcess.run(logs, "token", "--data-dir", dataDir.toString(), "--subject", subject, "--role",
        role, "--practice", practice).stdout().trim();
  }

  /** Records a consent to record, transcribe and analyse; returns its id. */
  String consent(String token, String clientRef) {
    HttpResponse<String> created = send("POST", "/v1/consents", token, ("{\"clientRef\":\"" + clientRef
        + "\",\"scope\":[\"record\",\"transcribe\",\"analyze\"],\"formVersion\":\"v1\","
        + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}").getBytes(StandardCharsets.UTF_8));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json(created).getString("id");
  }

  /** A one-shot streamed upload; returns the recording id. */
  String upload(String token, String consentId, byte[] audio) {
    HttpResponse<String> uploaded = send("POST", "/v1/recordings?consentId=" + consentId, token, audio);
    assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
    return json(uploaded).getString("id");
  }

  JsonObject recording(String id, String token) {
    return json(send("GET", "/v1/recordings/" + id, token, null));
  }

  /**
   * The same token {@link #token} prints, signed in this JVM with the data dir's key: for a test
   * that needs dozens of therapists, without a process per token.
   */
  String tokenSignedHere(String subject, String role, String practice) {
    return LocalTokenIssuer.loadOrCreate(dataDir.resolve("secrets"), Clock.systemUTC()).issue(subject,
        Role.fromClaim(role).orElseThrow(), practice, Duration.ofHours(8));
  }

  /** A consent like {@link #consent}, sent with {@link #request}'s patience. */
  String consentPatiently(String token, String clientRef) {
    String body = new JsonObject().put("clientRef", clientRef)
        .put("scope", new JsonArray().add("record").add("transcribe").add("analyze")).put("formVersion", "v1")
        .put("capturedAt", "2026-11-01T09:00:00Z").encode();
    HttpResponse<String> created = request("POST", "/v1/consents", token, Map.of("Content-Type",
        "application/json"), body.getBytes(StandardCharsets.UTF_8));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json(created).getString("id");
  }

  /**
   * Any request, with extra headers and {@link #PATIENCE}; a connection that cannot be made
   * (an instance restarting) throws {@link UncheckedIOException}.
   */
  HttpResponse<String> request(String method, String path, String token, Map<String, String> headers,
      byte[] body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(PATIENCE)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    headers.forEach(request::header);
    try {
      return PATIENT_HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " got no answer", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** tus creation without a body; returns the upload id, which is the recording id. */
  String tusCreate(String token, String consentId, long length) {
    HttpResponse<String> created = request("POST", "/files/", token, Map.of("Tus-Resumable", "1.0.0",
        "Upload-Length", Long.toString(length), "Upload-Metadata", "consentId "
            + Base64.getEncoder().encodeToString(consentId.getBytes(StandardCharsets.UTF_8))), null);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String location = created.headers().firstValue("Location").orElseThrow();
    return location.substring(location.lastIndexOf('/') + 1);
  }

  /** One tus PATCH of {@code bytes} at {@code offset}. */
  HttpResponse<String> tusPatch(String token, String id, long offset, byte[] bytes) {
    return request("PATCH", "/files/" + id, token, Map.of("Tus-Resumable", "1.0.0", "Upload-Offset",
        Long.toString(offset), "Content-Type", "application/offset+octet-stream"), bytes);
  }

  HttpResponse<String> send(String method, String path, String token, byte[] body) {
    return StandaloneProcess.send(port, method, path, token, body);
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  static JsonObject json(HttpResponse<String> response) {
    return response.body().isBlank() ? new JsonObject() : new JsonObject(response.body());
  }

  /** How many events each recording has on each pipeline topic, read back from the broker. */
  static Map<Topic, Map<String, Integer>> eventsPerRecording(Path dataDir) throws Exception {
    Set<Topic> topics = EnumSet.of(Topic.RECORDING_STORED, Topic.TRANSCRIPT_READY, Topic.ANALYSIS_READY,
        Topic.AUDIO_PURGED, Topic.RECORDING_FAILED);
    Map<Topic, Map<String, Integer>> counts = new ConcurrentHashMap<>();
    topics.forEach(t -> counts.put(t, new ConcurrentHashMap<>()));
    replay(dataDir, topics, event -> counts.get(event.topic()).merge(event.key(), 1, Integer::sum));
    return counts;
  }

  /** The plaintext SHA-256 each stored recording was announced with. */
  static Map<String, String> storedHashes(Path dataDir) throws Exception {
    Map<String, String> hashes = new ConcurrentHashMap<>();
    replay(dataDir, Set.of(Topic.RECORDING_STORED), event -> {
      if (event instanceof RecordingStoredEvent stored) {
        hashes.put(stored.recordingId(), stored.plaintextSha256());
      }
    });
    return hashes;
  }

  /** Every event of the topics, from the start, from the instance's broker. */
  private static void replay(Path dataDir, Set<Topic> topics, Consumer<PipelineEvent> each) throws Exception {
    try (EventStream events = EventStreams.kafka(StandaloneProcess.kafkaConfig(dataDir, "replay-it"),
        new SimpleMeterRegistry(), Clock.systemUTC())) {
      EventStream.Replay replay = events.replay(topics, e -> {
        each.accept(e.event());
        return CompletableFuture.completedFuture(null);
      });
      replay.caughtUp().join();
      replay.close();
    }
  }
}
