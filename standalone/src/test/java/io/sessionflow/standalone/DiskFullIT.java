package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data dir on a disk that something else has nearly filled (a 64 MiB tmpfs and a ballast
 * file): uploads are taken until less than the reserve is free, then the next one gets a clear
 * 507 and nothing is stored; the instance keeps running and ready; once space is freed uploads
 * are taken again, everything taken is transcribed and purged, and both auditor commands pass.
 * The model lives outside the small disk; it is the small test model ({@link
 * StandaloneProcess#smallModel}), as what fills the disk is the audio, not the model.
 */
class DiskFullIT {
  @TempDir
  Path work;

  @Test
  void aNearlyFullDiskRefusesUploadsClearlyAndTheInstanceRecoversWithoutDamage() throws Exception {
    Path disk = Files.createDirectories(work.resolve("disk"));
    Assumptions.assumeTrue(mount(disk) || failOnCi(), "mounting a tmpfs needs root: disk-full test skipped");
    try {
      Path model = StandaloneProcess.smallModel(work);
      Path dataDir = disk.resolve("data");
      Path logs = work.resolve("logs");
      int port = FreePorts.find();
      StandaloneClient api = new StandaloneClient(port, dataDir, logs);
      try (StandaloneProcess serve = StandaloneProcess.start(logs, "--data-dir", dataDir.toString(), "--port",
          Integer.toString(port), "--model", model.toString(), "--min-free-space", "24MiB")) {
        serve.awaitReady(port, Duration.ofSeconds(90));
        String token = api.token("ther-disk", "therapist", "practice-disk");
        String consent = api.consent(token, "client-disk");
        // Something else fills the disk until only a few recordings fit above the reserve.
        Path ballast = disk.resolve("ballast.bin");
        long fill = Files.getFileStore(disk).getUsableSpace() - (24L << 20) - (5L << 20);
        try (OutputStream out = Files.newOutputStream(ballast)) {
          byte[] chunk = new byte[1 << 20];
          for (long written = 0; written < fill; written += chunk.length) {
            out.write(chunk, 0, (int) Math.min(chunk.length, fill - written));
          }
        }
        List<String> stored = new ArrayList<>();
        HttpResponse<String> refused = null;
        for (int i = 0; i < 40 && refused == null; i++) {
          HttpResponse<String> response = api.send("POST", "/v1/recordings?consentId=" + consent, token,
              StandaloneProcess.wav(60, 300 + i));
          if (response.statusCode() == 201) {
            stored.add(StandaloneClient.json(response).getString("id"));
          } else {
            refused = response;
          }
        }
        assertThat(refused).as("the disk filled up to the reserve").isNotNull();
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(507);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(StandaloneClient.json(refused).getString("detail")).contains("free, less than the 24MiB reserve")
            .contains("--min-free-space").contains("Nothing was stored");
        assertThat(stored).isNotEmpty();
        assertThat(serve.isAlive()).isTrue();
        assertThat(StandaloneProcess.status(port, "/health/ready", null)).isEqualTo(200);

        // Space is freed: uploads are taken again, and everything taken is carried through.
        Files.delete(ballast);
        HttpResponse<String> again = api.send("POST", "/v1/recordings?consentId=" + consent, token,
            StandaloneProcess.wav(5, 99));
        assertThat(again.statusCode()).as(again.body()).isEqualTo(201);
        stored.add(StandaloneClient.json(again).getString("id"));
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).until(() -> stored.stream()
            .allMatch(id -> {
              JsonObject status = api.recording(id, token);
              return "ANALYZED".equals(status.getString("status")) && "PURGED".equals(status.getString("audio"));
            }));
        StandaloneProcess.Result purge = StandaloneProcess.run(logs, "verify-purge", "--data-dir",
            dataDir.toString());
        assertThat(purge.exit()).as(purge.stdout()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> StandaloneProcess.run(logs, "verify-audit", "--data-dir",
            dataDir.toString()).exit() == 0);
        assertThat(serve.terminate()).as("SIGTERM exits 128 + 15, after the stop").isEqualTo(143);
      }
    } finally {
      new ProcessBuilder("umount", disk.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static boolean mount(Path at) throws IOException, InterruptedException {
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", at.toString())
        .redirectErrorStream(true).start();
    return mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0;
  }

  private static boolean failOnCi() {
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI runs as root and must be able to mount a tmpfs for the disk-full test");
    }
    return false;
  }
}
