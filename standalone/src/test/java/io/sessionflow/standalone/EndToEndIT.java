package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One session through the whole standalone pipeline, the way a therapist's web app drives it:
 * consent, a tus-js-client upload, transcript, analysis, the audio purged with a receipt, both
 * auditor commands passing, and afterwards not one window of the audio, the transcript's text or
 * the file name in plaintext anywhere in the data dir or the logs (nor the client's pseudonym in
 * the logs). On the same running instance: its Kafka broker serves no client without the data dir's
 * SCRAM credential, and the data dir is closed to other local users. The practice's webhook on
 * loopback is told every step, signed, with ids and states only. The instance runs the small
 * test model ({@link StandaloneProcess#smallModel}): the session's path does not depend on the model.
 */
class EndToEndIT {
  private static final Path TUS_CLIENT = Path.of("..", "ingest", "src", "test", "js");
  @TempDir
  Path work;

  @Test
  void aSessionGoesFromConsentToVerifiablyPurgedAudioAndLeavesNoPlaintextBehind() throws Exception {
    Path dataDir = work.resolve("data");
    Path logs = work.resolve("logs");
    int port = FreePorts.find();
    StandaloneClient api = new StandaloneClient(port, dataDir, logs);
    String clientRef = "client-e2e-" + Long.toString(System.nanoTime(), 36);
    String filename = "intake-session-with-" + clientRef + ".wav";
    byte[] wav = StandaloneProcess.wav(8, 8080);
    Path file = Files.write(work.resolve("upload.wav"), wav);
    PlaintextScan scan = new PlaintextScan().audio(wav).text(filename);
    String id;

    List<JsonObject> hooked = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/hooks", exchange -> {
      hooked.add(new JsonObject().put("id", exchange.getRequestHeaders().getFirst("webhook-id"))
          .put("timestamp", exchange.getRequestHeaders().getFirst("webhook-timestamp"))
          .put("signature", exchange.getRequestHeaders().getFirst("webhook-signature"))
          .put("body", new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    try (StandaloneProcess serve = StandaloneProcess.start(logs, "--data-dir", dataDir.toString(), "--port",
        Integer.toString(port), "--model", StandaloneProcess.smallModel(work).toString())) {
      serve.awaitReady(port, Duration.ofSeconds(90));
      String token = api.token("ther-e2e", "therapist", "practice-e2e");
      String consent = api.consent(token, clientRef);
      // The practice's system is told each step by webhook (standalone lets it listen on loopback over http).
      String admin = api.token("admin-e2e", "clinic-admin", "practice-e2e");
      HttpResponse<String> hook = api.send("POST", "/v1/webhooks", admin, ("{\"url\":\"http://127.0.0.1:"
          + receiver.getAddress().getPort() + "/hooks\",\"events\":[\"recording.stored\",\"recording.transcribed\","
          + "\"recording.analyzed\",\"audio.purged\"]}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThat(hook.statusCode()).as(hook.body()).isEqualTo(201);
      String secret = StandaloneClient.json(hook).getString("secret");

      String printed = new NodeTool(TUS_CLIENT).install("tus-js-client").node("tus-upload.mjs", "--endpoint",
          api.base() + "/files/", "--token", token, "--file", file.toString(), "--consent", consent, "--filename",
          filename, "--chunk-size", Integer.toString(64 * 1024));
      JsonObject upload = new JsonObject(printed.strip().lines().reduce((a, b) -> b).orElseThrow());
      assertThat(upload.getBoolean("done")).isTrue();
      id = upload.getString("url").substring(upload.getString("url").lastIndexOf('/') + 1);

      await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        JsonObject status = api.recording(id, token);
        return "ANALYZED".equals(status.getString("status")) && "PURGED".equals(status.getString("audio"));
      });
      assertThat(api.recording(id, token).getJsonArray("history").stream()
          .map(h -> ((JsonObject) h).getString("status"))).contains("STORED", "TRANSCRIBED", "ANALYZED");
      await().atMost(Duration.ofSeconds(60)).until(() -> hooked.stream().map(h -> new JsonObject(h.getString("body"))
          .getString("type")).distinct().count() == 4);
      for (JsonObject delivery : hooked) {
        JsonObject body = new JsonObject(delivery.getString("body"));
        assertThat(body.getJsonObject("data").getString("recordingId")).isEqualTo(id);
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(java.util.Base64.getDecoder().decode(secret.substring(6)),
            "HmacSHA256"));
        String signed = java.util.Base64.getEncoder().encodeToString(mac.doFinal((delivery.getString("id") + "."
            + delivery.getString("timestamp") + "." + delivery.getString("body"))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThat(delivery.getString("signature")).as("Standard Webhooks signature").isEqualTo("v1," + signed);
        assertThat(delivery.getString("body")).doesNotContain(clientRef).doesNotContain(filename);
      }

      HttpResponse<String> transcript = api.send("GET", "/v1/recordings/" + id + "/transcript", token, null);
      assertThat(transcript.statusCode()).isEqualTo(200);
      List<String> texts = StandaloneClient.json(transcript).getJsonArray("segments").stream()
          .map(s -> ((JsonObject) s).getString("text").strip()).filter(t -> t.length() >= 8).toList();
      texts.forEach(scan::text);
      String plain = transcript.body();
      scan.text(plain.substring(plain.indexOf("\"segments\""), Math.min(plain.length(),
          plain.indexOf("\"segments\"") + 48)));

      HttpResponse<String> analysis = api.send("GET", "/v1/recordings/" + id + "/analysis", token, null);
      assertThat(analysis.statusCode()).isEqualTo(200);
      assertThat(StandaloneClient.json(analysis).getJsonObject("metrics").getInteger("segments"))
          .as("the analysis is of this transcript").isEqualTo(StandaloneClient.json(transcript)
              .getJsonArray("segments").size());

      JsonObject receipt = StandaloneClient.json(api.send("GET", "/v1/recordings/" + id + "/deletion-receipt",
          token, null)).getJsonObject("receipt");
      assertThat(receipt.getString("recordingId")).isEqualTo(id);
      assertThat(receipt.getString("reason")).isEqualTo("transcribed");
      assertThat(receipt.getJsonObject("verification").getBoolean("passed")).isTrue();

      StandaloneProcess.Result purge = StandaloneProcess.run(logs, "verify-purge", "--data-dir", dataDir.toString());
      assertThat(purge.exit()).as(purge.stdout() + purge.stderr()).isZero();
      await().atMost(Duration.ofSeconds(30)).until(() -> StandaloneProcess.run(logs, "verify-audit", "--data-dir",
          dataDir.toString()).exit() == 0);
      theBrokerServesOnlyTheInstancesOwnUser(dataDir, id);
      theDataDirIsOwnerOnly(dataDir);
      assertThat(serve.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
    } finally {
      receiver.stop(0);
    }

    StandaloneProcess.Result audit = StandaloneProcess.run(logs, "verify-audit", "--data-dir", dataDir.toString());
    assertThat(audit.exit()).as(audit.stdout()).isZero();
    assertThat(audit.stdout()).contains("result: INTACT");
    assertThat(scan.search(dataDir)).as("plaintext in the data dir").isEmpty();
    // The client's pseudonym is kept in the consent record (deletion by client finds it there), but
    // a log line has no business naming it.
    assertThat(scan.text(clientRef).search(logs)).as("plaintext in the logs").isEmpty();
    StringBuilder logged = new StringBuilder();
    try (Stream<Path> files = Files.list(logs)) {
      for (Path log : files.toList()) {
        logged.append(Files.readString(log));
      }
    }
    assertThat(logged).as("the logs were captured and name the recording by id").contains(id);
  }

  /**
   * A local process without the SCRAM credential of the data dir (none, or a wrong password) can
   * neither forge a deletion request nor read the audit topic, which the instance's own user reads.
   */
  private static void theBrokerServesOnlyTheInstancesOwnUser(Path dataDir, String id) throws Exception {
    Map<String, Object> own = StandaloneProcess.kafkaConfig(dataDir, "e2e-owner").clientProperties();
    Map<String, Object> anonymous = Map.of("bootstrap.servers", own.get("bootstrap.servers"));
    Map<String, Object> wrong = new HashMap<>(own);
    wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
        + "username=\"sessionflow\" password=\"guessed-password-0123456789\";");
    TopicPartition audit = new TopicPartition("sessionflow.audit", 0);
    assertThat(read(own, audit)).as("the instance's own user reads the audit topic").isNotEmpty();
    for (Map<String, Object> stranger : List.of(anonymous, wrong)) {
      String who = stranger == anonymous ? "a client without credentials" : "a client with a wrong password";
      assertThat(read(stranger, audit)).as(who + " reads nothing").isEmpty();
      Map<String, Object> producer = new HashMap<>(stranger);
      producer.put("max.block.ms", 5_000);
      producer.put("delivery.timeout.ms", 5_000);
      producer.put("request.timeout.ms", 4_000);
      try (KafkaProducer<byte[], byte[]> forger = new KafkaProducer<>(producer, new ByteArraySerializer(),
          new ByteArraySerializer())) {
        byte[] forged = ("{\"v\":1,\"recordingId\":\"" + id + "\",\"requestedBy\":\"forger\"}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> forger.send(new ProducerRecord<>(
            "sessionflow.deletion.requested", id.getBytes(java.nio.charset.StandardCharsets.UTF_8), forged))
            .get(15, TimeUnit.SECONDS)))
            .as(who + " cannot produce").isNotNull()
            .satisfies(e -> assertThat(e instanceof ExecutionException ? e.getCause() : e)
                .isInstanceOfAny(org.apache.kafka.common.errors.TimeoutException.class,
                    org.apache.kafka.common.errors.AuthenticationException.class));
      }
    }
  }

  /** Records of one partition from its start, as far as {@code props} gets within a few seconds. */
  private static List<ConsumerRecord<byte[], byte[]>> read(Map<String, Object> props, TopicPartition partition) {
    Map<String, Object> consumer = new HashMap<>(props);
    consumer.put("enable.auto.commit", false);
    consumer.put("auto.offset.reset", "earliest");
    consumer.put("request.timeout.ms", 4_000);
    consumer.put("default.api.timeout.ms", 5_000);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(consumer, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      reader.assign(List.of(partition));
      reader.seekToBeginning(List.of(partition));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (records.isEmpty() && System.nanoTime() < until) {
        reader.poll(Duration.ofMillis(500)).forEach(records::add);
      }
    } catch (org.apache.kafka.common.errors.AuthenticationException
        | org.apache.kafka.common.errors.TimeoutException e) {
      // refused: nothing read
    }
    return records;
  }

  /**
   * The data dir and kafka/, objects/, secrets/ are 0700: other local users cannot list or open
   * anything under them, whatever mode Kafka and S3Proxy give their files (the process umask's).
   * The files Sessionflow writes itself are 0600 from their creation on.
   */
  private static void theDataDirIsOwnerOnly(Path dataDir) throws Exception {
    Set<PosixFilePermission> ownerOnlyDir = PosixFilePermissions.fromString("rwx------");
    for (Path dir : List.of(dataDir, dataDir.resolve("kafka"), dataDir.resolve("objects"),
        dataDir.resolve("secrets"))) {
      assertThat(Files.getPosixFilePermissions(dir)).as(dir.toString()).isEqualTo(ownerOnlyDir);
    }
    List<Path> own = new ArrayList<>(List.of(dataDir.resolve("instance.json"), dataDir.resolve("sessionflow.lock")));
    try (Stream<Path> secrets = Files.walk(dataDir.resolve("secrets"))) {
      secrets.filter(Files::isRegularFile).forEach(own::add);
    }
    assertThat(own).extracting(p -> p.getFileName().toString()).contains("kafka-credentials.properties",
        "s3-credentials.properties", "kek.json");
    for (Path file : own) {
      assertThat(Files.getPosixFilePermissions(file)).as(file.toString())
          .doesNotContain(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
              PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    }
  }
}
