package io.sessionflow.ingest.tus;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs tus-js-client (npm) in Node, the client therapist web apps use. Installs it from
 * {@code src/test/js/package-lock.json} on first use, so a fresh checkout needs nothing by hand.
 */
final class NodeTusClient {
  static final Path DIR = Path.of("src", "test", "js").toAbsolutePath();

  private NodeTusClient() {
  }

  static synchronized void install() throws IOException, InterruptedException {
    // Uppy and playwright-core drive the browser tests (UppyBrowserIT).
    if (Stream.of("tus-js-client", "uppy", "playwright-core")
        .allMatch(module -> Files.exists(DIR.resolve("node_modules").resolve(module).resolve("package.json")))) {
      return;
    }
    run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
  }

  /** Runs one upload and returns what the script printed: {url, sent, done}. */
  static JsonObject upload(String endpoint, String token, Path file, String... options)
      throws IOException, InterruptedException {
    install();
    List<String> command = new ArrayList<>(List.of("node", DIR.resolve("tus-upload.mjs").toString(),
        "--endpoint", endpoint, "--token", token, "--file", file.toString()));
    command.addAll(List.of(options));
    String out = run(command, 180);
    String last = out.strip().lines().reduce((a, b) -> b).orElse("");
    return new JsonObject(last);
  }

  private static String run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Path log = Files.createTempFile("node", ".log");
    Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command.get(0) + " timed out: " + Files.readString(log, StandardCharsets.UTF_8));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new AssertionError(command.get(0) + " failed (" + process.exitValue() + "): " + out);
    }
    return out;
  }
}
