package io.sessionflow.common.runtime;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * How a Sessionflow process stops: SIGTERM (Kubernetes, {@code kill}) and SIGINT (Ctrl-C) run the
 * stop first and only then let the JVM exit, with 128 + the signal's number as the JVM's own
 * handler would; any other exit ({@code System.exit}) runs it in a shutdown hook.
 *
 * <p>First, because the JVM runs its shutdown hooks side by side: a library's own hook ran while a
 * stage was still stopping in ours (ONNX Runtime releases its native environment in one, and a voice
 * activity run still in progress crashed the JVM with SIGSEGV). {@code sun.misc.Signal} (module
 * {@code jdk.unsupported}, exported) is the JDK's one way to act on a signal before the exit begins.
 * A second signal while the stop is running ends the process at once.
 */
public final class ProcessStop {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessStop.class);
  private static final List<String> SIGNALS = List.of("TERM", "INT");

  private final String name;
  private final AutoCloseable stop;
  private final AtomicBoolean started = new AtomicBoolean();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  private ProcessStop(String name, AutoCloseable stop) {
    this.name = name;
    this.stop = stop;
  }

  /**
   * Runs {@code stop} once, on SIGTERM or SIGINT before the JVM exits, or on any other exit in a
   * shutdown hook named {@code name-shutdown}.
   */
  public static void install(String name, AutoCloseable stop) {
    ProcessStop process = new ProcessStop(name, stop);
    for (String signal : SIGNALS) {
      try {
        Signal.handle(new Signal(signal), process::signalled);
      } catch (IllegalArgumentException e) {
        // The JVM keeps this signal to itself (-Xrs, or a debugger's): the shutdown hook still stops.
        LOG.debug("SIG{} is not ours to handle: {}", signal, e.getMessage());
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(process::onExit, name + "-shutdown"));
  }

  private void signalled(Signal signal) {
    int exit = 128 + signal.getNumber();
    if (!started.compareAndSet(false, true)) {
      if (!stopped.isDone()) {
        LOG.warn("{}: SIG{} while stopping: exiting at once ({})", name, signal.getName(), exit);
        Runtime.getRuntime().halt(exit);
      }
      return;
    }
    LOG.info("{}: SIG{}, stopping", name, signal.getName());
    // Not on the JDK's signal thread, a daemon: once the stop ended the last other non-daemon thread
    // (an event loop, the broker's), the JVM would begin exiting, hooks and all, with the stop unfinished.
    Thread stopping = new Thread(() -> {
      runStop();
      System.exit(exit);
    }, name + "-stop");
    stopping.setDaemon(false);
    stopping.start();
  }

  private void onExit() {
    if (started.compareAndSet(false, true)) {
      runStop();
    } else {
      stopped.join();
    }
  }

  private void runStop() {
    try {
      stop.close();
    } catch (Exception e) {
      LOG.warn("{} did not stop cleanly: {}", name, io.sessionflow.common.failure.Failures.reason(e));
    } finally {
      stopped.complete(null);
    }
  }
}
