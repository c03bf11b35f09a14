package io.sessionflow.common.runtime;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A process for {@link ProcessStopTest}. Its stop says whether the JVM had begun exiting when the stop
 * ran (a shutdown hook can no longer be added then) and whether the stop's thread keeps the JVM up (a
 * daemon's would not, once the stop ended the other threads). With {@code hold} the stop waits for a
 * line on stdin, so that a second signal lands while it runs; with {@code exit N} the process exits
 * with N.
 */
public final class ProcessStopChild {
  private ProcessStopChild() {
  }

  public static void main(String[] args) throws Exception {
    boolean hold = args.length > 0 && args[0].equals("hold");
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    ProcessStop.install("child", () -> {
      boolean beforeExit;
      try {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { }));
        beforeExit = true;
      } catch (IllegalStateException e) {
        beforeExit = false;
      }
      say("stop began; before the exit: " + beforeExit + "; keeps the JVM up: " + !Thread.currentThread().isDaemon());
      if (hold) {
        stdin.readLine();
      }
      say("stop ended");
    });
    say("ready");
    if (args.length > 1 && args[0].equals("exit")) {
      System.exit(Integer.parseInt(args[1]));
    }
    // Until a signal: the stop ends the process.
    Thread.currentThread().join();
  }

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
