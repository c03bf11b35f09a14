package io.sessionflow.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real JVM ({@link ProcessStopChild}) signalled as Kubernetes and Ctrl-C signal it: the stop runs
 * before the JVM begins exiting (so no library's shutdown hook runs beside it), once, and the exit
 * code is the one the JVM's own handler gives.
 */
class ProcessStopTest {
  private static final long WAIT_S = 120;
  private static final String END = "<end of output>";

  @Test
  void sigtermRunsTheStopBeforeTheJvmBeginsExitingThenExits143() throws Exception {
    assertStopsBeforeTheExit("TERM", 143);
  }

  @Test
  void sigintRunsTheStopBeforeTheJvmBeginsExitingThenExits130() throws Exception {
    assertStopsBeforeTheExit("INT", 130);
  }

  private static void assertStopsBeforeTheExit(String signal, int exit) throws Exception {
    Child child = Child.start("run");
    child.expect("ready");
    child.signal(signal);
    assertThat(child.rest()).containsExactly("stop began; before the exit: true; keeps the JVM up: true", "stop ended");
    assertThat(child.exit()).isEqualTo(exit);
  }

  @Test
  void anotherExitRunsTheStopOnceInTheShutdownHookAndKeepsItsCode() throws Exception {
    Child child = Child.start("exit", "3");
    child.expect("ready");
    assertThat(child.rest())
        .containsExactly("stop began; before the exit: false; keeps the JVM up: true", "stop ended");
    assertThat(child.exit()).isEqualTo(3);
  }

  @Test
  void aSecondSignalWhileTheStopRunsEndsTheProcessAtOnce() throws Exception {
    Child child = Child.start("hold");
    child.expect("ready");
    child.signal("TERM");
    child.expect("stop began; before the exit: true; keeps the JVM up: true");
    child.signal("TERM");
    assertThat(child.rest()).isEmpty();
    assertThat(child.exit()).isEqualTo(143);
  }

  private static final class Child {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private Child(Process process) {
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line = out.readLine(); line != null; line = out.readLine()) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("read failed: " + e.getMessage());
        }
        lines.add(END);
      }, "child-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    static Child start(String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
          .toString(), "-cp", System.getProperty("java.class.path"), ProcessStopChild.class.getName()));
      command.addAll(List.of(args));
      return new Child(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start());
    }

    void expect(String line) throws InterruptedException {
      assertThat(lines.poll(WAIT_S, TimeUnit.SECONDS)).isEqualTo(line);
    }

    /** Signals the child as {@code kill} does ({@link Process#destroy} would also close its output here). */
    void signal(String name) throws IOException, InterruptedException {
      Process kill = new ProcessBuilder("sh", "-c", "kill -" + name + " " + process.pid()).start();
      assertThat(kill.waitFor(WAIT_S, TimeUnit.SECONDS)).isTrue();
      assertThat(kill.exitValue()).isZero();
    }

    /** The lines up to the end of the output. */
    List<String> rest() throws InterruptedException {
      List<String> rest = new ArrayList<>();
      for (String line = lines.poll(WAIT_S, TimeUnit.SECONDS); !END.equals(line);
          line = lines.poll(WAIT_S, TimeUnit.SECONDS)) {
        assertThat(line).as("the child's output ended within " + WAIT_S + " s").isNotNull();
        rest.add(line);
      }
      return rest;
    }

    int exit() throws InterruptedException {
      if (!process.waitFor(WAIT_S, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the child did not exit within " + WAIT_S + " s");
      }
      return process.exitValue();
    }
  }
}
