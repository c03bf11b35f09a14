package io.sessionflow.standalone;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Node.js scripts of a test folder, installing its locked npm packages first. */
final class NodeTool {
  private final Path dir;

  NodeTool(Path dir) {
    this.dir = dir.toAbsolutePath();
  }

  /** What a command printed (stdout and stderr together) and its exit code. */
  record Result(int exitCode, String output) {
  }

  /** {@code npm ci} unless {@code marker} (a package) is installed already. */
  NodeTool install(String marker) throws IOException, InterruptedException {
    if (!Files.isDirectory(dir.resolve("node_modules").resolve(marker))) {
      Result installed = run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
      if (installed.exitCode() != 0) {
        throw new AssertionError("npm ci in " + dir + " failed: " + installed.output());
      }
    }
    return this;
  }

  /** Runs a script and fails unless it exits with 0; returns what it printed. */
  String node(String script, String... args) throws IOException, InterruptedException {
    Result result = nodeResult(script, args);
    if (result.exitCode() != 0) {
      throw new AssertionError("node " + script + " failed (" + result.exitCode() + "): " + result.output());
    }
    return result.output();
  }

  /** Runs a script and returns its exit code and output, whatever they are. */
  Result nodeResult(String script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("node", script));
    command.addAll(List.of(args));
    return run(command, 120);
  }

  private Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
    }
    return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
