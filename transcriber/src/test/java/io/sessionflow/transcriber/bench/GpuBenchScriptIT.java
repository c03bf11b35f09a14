package io.sessionflow.transcriber.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench/gpu-bench.sh end to end with {@code --cpu}: the bundle it prepares (a jlinked runtime,
 * the binding's classes, the pinned source), the library it builds from that source, the
 * harness on that runtime with no Maven classpath, and its report; and a configuration that
 * fails makes the script fail.
 */
class GpuBenchScriptIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  @TempDir
  static Path dir;

  @BeforeAll
  static void prepare() throws Exception {
    Result prepared = script(List.of("--prepare", "--no-build"), dir.resolve("work"));
    assertThat(prepared.code()).as(prepared.output()).isZero();
    assertThat(dir.resolve("bundle/runtime/bin/java")).isExecutable();
    assertThat(dir.resolve("bundle/runtime/include/jni.h")).exists();
  }

  @Test
  void theCpuRunMeasuresEveryConfigurationOnTheBundledRuntime() throws Exception {
    Path out = dir.resolve("out");
    Result run = script(List.of("--cpu", "--shapes", "tiny", "--states", "1,2", "--flash", "on,off", "--windows", "1",
        "--tokens", "20", "--out", out.toString()), dir.resolve("work"));
    assertThat(run.code()).as(run.output()).isZero();
    List<String> rows = Files.readAllLines(out.resolve("gpu-bench.csv"));
    assertThat(rows.get(0)).startsWith("shape,flash_attention,states,");
    assertThat(rows.subList(1, rows.size())).hasSize(4).allSatisfy(row -> {
      String[] cells = row.split(",");
      assertThat(cells[0]).isEqualTo("tiny");
      assertThat(cells[8]).isEqualTo("ok");
      assertThat(Double.parseDouble(cells[4])).as("tokens per window").isBetween(20.0, 21.0);
      assertThat(Double.parseDouble(cells[5])).as("audio seconds per second").isPositive();
    });
    assertThat(Files.readString(out.resolve("gpu-bench.md"))).contains("whisper.cpp 1.9.1")
        .contains("| tiny | off | 2 |");
  }

  @Test
  void aConfigurationThatFailsFailsTheScriptAndIsReported() throws Exception {
    Path work = dir.resolve("broken");
    Files.createDirectories(work.resolve("models"));
    // A model file that ends early: every configuration on it fails to load.
    Files.write(work.resolve("models/base.bin"), new byte[] {0x6c, 0x6d, 0x67, 0x67, 1, 2, 3});
    Path out = dir.resolve("broken-out");
    Result run = script(List.of("--cpu", "--shapes", "base", "--states", "1", "--flash", "on", "--windows", "1",
        "--tokens", "5", "--out", out.toString()), work);
    assertThat(run.code()).as(run.output()).isNotZero();
    assertThat(run.output()).contains("1 configuration(s) crashed");
    assertThat(Files.readString(out.resolve("gpu-bench.csv"))).contains("base,on,1,").contains("crashed (exit");
  }

  private record Result(int code, String output) {
  }

  private static Result script(List<String> args, Path work) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("bash", ROOT.resolve("bench/gpu-bench.sh").toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(ROOT.toFile());
    Map<String, String> env = builder.environment();
    env.put("GPU_BENCH_BUNDLE", dir.resolve("bundle").toString());
    env.put("GPU_BENCH_WORK", work.toString());
    Path log = Files.createTempFile(dir, "gpu-bench", ".txt");
    Process process = builder.redirectOutput(log.toFile()).start();
    boolean ended = process.waitFor(20, TimeUnit.MINUTES);
    if (!ended) {
      process.destroyForcibly().waitFor();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    return new Result(ended ? process.exitValue() : -1, ended ? output : "timed out after 20 minutes\n" + output);
  }
}
