package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

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
}
