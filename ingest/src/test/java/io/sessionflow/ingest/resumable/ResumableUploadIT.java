package io.sessionflow.ingest.resumable;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.ingest.IngestHarness;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The IETF resumable-upload draft, every interop version from 3 (iOS 17) to 8, spoken byte for
 * byte the way URLSession does: creation on POST with the 104 read before the final answer,
 * offset retrieval with HEAD, append with PATCH, cancellation with DELETE.
 */
class ResumableUploadIT {
  static IngestHarness harness;
  static String therapist;
  static String consentId;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of());
    therapist = harness.token("ther-ios", Role.THERAPIST, "prac-ios");
    HttpResponse<String> created = harness.send(harness.request("/v1/consents", therapist)
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString("{\"clientRef\":\"client-ios\",\"scope\":[\"record\"],\"formVersion\":\"v1\","
            + "\"capturedAt\":\"2026-11-01T09:00:00Z\"}")));
    consentId = new JsonObject(created.body()).getString("id");
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  /** A response as the client reads it: status line, headers by lower-cased name, body. */
  record Answer(int status, String line, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** One connection, written and read by hand. */
  static final class Client implements AutoCloseable {
    final java.net.Socket socket;
    final java.io.InputStream in;

    Client() throws IOException {
      socket = new java.net.Socket("127.0.0.1", harness.port());
      socket.setSoTimeout(60_000);
      in = new java.io.BufferedInputStream(socket.getInputStream());
    }

    void send(String method, String path, Map<String, String> headers, byte[] body, int bytesToSend)
        throws IOException {
      StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + therapist + "\r\n");
      headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
      if (body != null) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      socket.getOutputStream().write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      if (body != null) {
        socket.getOutputStream().write(body, 0, bytesToSend);
      }
      socket.getOutputStream().flush();
    }

    Answer read(boolean head) throws IOException {
      List<String> lines = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          String done = line.toString().stripTrailing();
          line.setLength(0);
          if (done.isEmpty()) {
            break;
          }
          lines.add(done);
        } else {
          line.append((char) c);
        }
      }
      assertThat(lines).as("an answer").isNotEmpty();
      Map<String, String> headers = new LinkedHashMap<>();
      for (String header : lines.subList(1, lines.size())) {
        int colon = header.indexOf(':');
        headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
      }
      int status = Integer.parseInt(lines.get(0).split(" ")[1]);
      String body = "";
      if (!head && status >= 200 && headers.containsKey("content-length")) {
        body = new String(in.readNBytes(Integer.parseInt(headers.get("content-length"))), StandardCharsets.UTF_8);
      }
      return new Answer(status, lines.get(0), headers, body);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  static Map<String, String> headers(String... pairs) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.put(pairs[i], pairs[i + 1]);
    }
    return headers;
  }

  /** The header saying whether a request completes the upload, as version {@code v} names it. */
  static String[] completes(int v, boolean complete) {
    return v == 3 ? new String[] {"Upload-Incomplete", complete ? "?0" : "?1"}
        : new String[] {"Upload-Complete", complete ? "?1" : "?0"};
  }

  static boolean saysComplete(int v, Answer answer) {
    return v == 3 ? "?0".equals(answer.header("Upload-Incomplete")) : "?1".equals(answer.header("Upload-Complete"));
  }

  static Map<String, String> with(Map<String, String> base, String... more) {
    Map<String, String> all = new LinkedHashMap<>(base);
    all.putAll(headers(more));
    return all;
  }

  @ParameterizedTest(name = "interop version {0}")
  @ValueSource(ints = {3, 4, 5, 6, 7, 8})
  void anUploadIsCreatedResumedAfterADroppedConnectionAndCompleted(int v) throws Exception {
    byte[] audio = IngestHarness.audio(9000, 100 + v);
    String version = Integer.toString(v);
    String location;
    try (Client client = new Client()) {
      // The creation's connection drops after 4000 of its 6000 bytes, right after the 104 came.
      client.send("POST", "/v1/recordings?consentId=" + consentId, with(headers("Upload-Draft-Interop-Version",
          version), completes(v, false)), Arrays.copyOf(audio, 6000), 4000);
      Answer interim = client.read(false);
      assertThat(interim.line()).isEqualTo("HTTP/1.1 104 Upload Resumption Supported");
      assertThat(interim.header("Upload-Draft-Interop-Version")).isEqualTo(version);
      location = interim.header("Location");
      assertThat(location).startsWith("/v1/uploads/");
      assertThat(interim.header("Upload-Limit")).as("from version 6").satisfies(limit -> {
        if (v >= 6) {
          assertThat(limit).contains("max-size=").contains(v >= 7 ? "max-age=" : "expires=");
        } else {
          assertThat(limit).isNull();
        }
      });
    }
    Answer offset = head(v, location);
    assertThat(offset.status()).isEqualTo(204);
    assertThat(offset.header("Cache-Control")).isEqualTo("no-store");
    assertThat(saysComplete(v, offset)).isFalse();
    long stored = Long.parseLong(offset.header("Upload-Offset"));
    assertThat(stored).as("what arrived before the drop is kept").isBetween(0L, 4000L);

    try (Client client = new Client()) {
      client.send("PATCH", location, with(headers("Upload-Draft-Interop-Version", version, "Upload-Offset",
          Long.toString(stored + 1), "Content-Type", "application/partial-upload"), completes(v, false)),
          new byte[10], 10);
      Answer mismatch = client.read(false);
      assertThat(mismatch.status()).isEqualTo(409);
      assertThat(mismatch.header("Upload-Offset")).isEqualTo(Long.toString(stored));
      if (v >= 6) {
        JsonObject problem = new JsonObject(mismatch.body());
        assertThat(problem.getString("type")).isEqualTo(
            "https://iana.org/assignments/http-problem-types#mismatching-upload-offset");
        assertThat(problem.getLong("expected-offset")).isEqualTo(stored);
        assertThat(problem.getLong("provided-offset")).isEqualTo(stored + 1);
      }
    }
    try (Client client = new Client()) {
      // Two appends on one connection: the first leaves it incomplete, the second completes it.
      byte[] middle = Arrays.copyOfRange(audio, (int) stored, 7000);
      client.send("PATCH", location, with(headers("Upload-Draft-Interop-Version", version, "Upload-Offset",
          Long.toString(stored), "Content-Type", "application/partial-upload"), completes(v, false)), middle,
          middle.length);
      Answer partial = client.read(false);
      assertThat(partial.status()).isEqualTo(204);
      assertThat(partial.header("Upload-Offset")).isEqualTo("7000");
      assertThat(saysComplete(v, partial)).isFalse();
      byte[] rest = Arrays.copyOfRange(audio, 7000, audio.length);
      client.send("PATCH", location, with(headers("Upload-Draft-Interop-Version", version, "Upload-Offset", "7000",
          "Content-Type", "application/partial-upload"), completes(v, true)), rest, rest.length);
      Answer done = client.read(false);
      assertThat(done.status()).as(done.body()).isEqualTo(200);
      assertThat(saysComplete(v, done)).isTrue();
      assertThat(new JsonObject(done.body()).getLong("bytes")).isEqualTo(audio.length);
    }
    String id = location.substring(location.lastIndexOf('/') + 1);
    assertThat(harness.stored(id)).isEqualTo(audio);
    Answer complete = head(v, location);
    assertThat(saysComplete(v, complete)).isTrue();
    assertThat(complete.header("Upload-Offset")).isEqualTo(Integer.toString(audio.length));
    // The same state as tus's: a tus client sees the same upload, complete.
    HttpResponse<String> tus = harness.send(harness.request("/files/" + id, therapist).header("Tus-Resumable",
        "1.0.0").method("HEAD", BodyPublishers.noBody()));
    assertThat(tus.headers().firstValue("Upload-Offset")).hasValue(Integer.toString(audio.length));
    try (Client client = new Client()) {
      client.send("PATCH", location, with(headers("Upload-Draft-Interop-Version", version, "Upload-Offset",
          Integer.toString(audio.length), "Content-Type", "application/partial-upload"), completes(v, true)),
          new byte[0], 0);
      Answer again = client.read(false);
      assertThat(again.status()).isEqualTo(400);
      if (v >= 6) {
        assertThat(new JsonObject(again.body()).getString("type")).endsWith("#completed-upload");
      }
    }
  }

  static Answer head(int v, String location) throws IOException {
    try (Client client = new Client()) {
      client.send("HEAD", location, headers("Upload-Draft-Interop-Version", Integer.toString(v)), null, 0);
      return client.read(true);
    }
  }

  @ParameterizedTest(name = "interop version {0}")
  @ValueSource(ints = {3, 5, 6, 8})
  void aWholeRecordingInOneRequestIsAnsweredAsTheRecordingsCreation(int v) throws Exception {
    byte[] audio = IngestHarness.audio(5000, 200 + v);
    try (Client client = new Client()) {
      client.send("POST", "/v1/recordings?consentId=" + consentId, with(headers("Upload-Draft-Interop-Version",
          Integer.toString(v)), completes(v, true)), audio, audio.length);
      assertThat(client.read(false).status()).isEqualTo(104);
      Answer created = client.read(false);
      assertThat(created.status()).isEqualTo(201);
      assertThat(saysComplete(v, created)).isTrue();
      String id = new JsonObject(created.body()).getString("id");
      assertThat(created.header("Location")).isEqualTo("/v1/recordings/" + id);
      assertThat(harness.stored(id)).isEqualTo(audio);
    }
  }

  @Test
  void cancellationRefusalsAndAPlainPostWithoutTheDraft() throws Exception {
    String location;
    try (Client client = new Client()) {
      client.send("POST", "/v1/recordings?consentId=" + consentId, headers("Upload-Draft-Interop-Version", "6",
          "Upload-Complete", "?0"), new byte[100], 100);
      location = client.read(false).header("Location");
      assertThat(client.read(false).status()).isEqualTo(201);
    }
    try (Client client = new Client()) {
      client.send("PATCH", location, headers("Upload-Draft-Interop-Version", "6", "Upload-Offset", "100",
          "Upload-Complete", "?1", "Content-Type", "application/offset+octet-stream"), new byte[5], 5);
      assertThat(client.read(false).status()).as("version 6 appends application/partial-upload").isEqualTo(400);
    }
    try (Client client = new Client()) {
      client.send("HEAD", location, headers("Upload-Draft-Interop-Version", "6", "Upload-Offset", "0"), null, 0);
      assertThat(client.read(true).status()).isEqualTo(400);
    }
    try (Client client = new Client()) {
      client.send("POST", "/v1/recordings?consentId=" + consentId, headers("Upload-Draft-Interop-Version", "6"),
          new byte[100], 100);
      Answer refused = client.read(false);
      assertThat(refused.status()).as("no 104 for a creation that does not say whether it completes")
          .isEqualTo(400);
    }
    try (Client client = new Client()) {
      client.send("DELETE", location, headers("Upload-Draft-Interop-Version", "6"), null, 0);
      assertThat(client.read(true).status()).isEqualTo(204);
    }
    assertThat(head(6, location).status()).isEqualTo(404);
    try (Client client = new Client()) {
      client.send("POST", "/v1/recordings?consentId=nosuchconsent", headers("Upload-Draft-Interop-Version", "8",
          "Upload-Complete", "?1"), new byte[100], 100);
      Answer forbidden = client.read(false);
      assertThat(forbidden.status()).as("nothing is created, no 104 is sent without a valid consent")
          .isEqualTo(403);
    }
    // Without the draft's header the same POST is the plain streaming upload.
    HttpResponse<String> plain = harness.send(harness.request("/v1/recordings?consentId=" + consentId, therapist)
        .POST(BodyPublishers.ofByteArray(IngestHarness.audio(3000, 7))));
    assertThat(plain.statusCode()).isEqualTo(201);
    assertThat(plain.headers().firstValue("Upload-Complete")).isEmpty();
  }
}
