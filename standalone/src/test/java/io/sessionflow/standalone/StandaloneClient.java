package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingStoredEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.EventStreams;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** What a test does against one running standalone: tokens, consents, uploads and API calls. */
final class StandaloneClient {
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
    JsonObject instance = StandaloneProcess.instance(dataDir);
    try (EventStream events = EventStreams.kafka(new KafkaConfig(instance.getString("kafkaBootstrapServers"), 1,
        (short) 1, "replay-it"), new SimpleMeterRegistry(), Clock.systemUTC())) {
      EventStream.Replay replay = events.replay(topics, e -> {
        each.accept(e.event());
        return CompletableFuture.completedFuture(null);
      });
      replay.caughtUp().join();
      replay.close();
    }
  }
}
