package io.sessionflow.language;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may be inside ONNX Runtime's native code, for one model and for the whole process.
 *
 * <p>A model's calls (its tensors, its runs, their results) happen under a {@link #enter permit};
 * {@link #close} waits for the permits out and frees the model once, and a call after it fails with
 * {@link IllegalStateException} instead of reaching freed memory. {@link #stopForExit} does the same
 * for every model at once, before the process exits: ONNX Runtime's Java binding releases its native
 * environment in a JVM shutdown hook of its own, and shutdown hooks run side by side, so a run still
 * in progress when the JVM began exiting read freed memory (a SIGSEGV in {@code libonnxruntime.so}
 * on a decode thread, exit 134, while the transcriber's own shutdown was waiting for that very run).
 * The process's stop calls it after its stages have stopped and before the JVM exits.
 */
public final class OnnxGate {
  /** How long a process's stop waits for the model calls in progress (one is well under a second). */
  public static final Duration EXIT_PATIENCE = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(OnnxGate.class);
  private static final Exit PROCESS = new Exit();

  private final String model;
  private final Exit exit;
  private final ReentrantReadWriteLock calls = new ReentrantReadWriteLock();
  private final Permit permit = this::leave;
  private boolean closed;

  /** A gate for the model named {@code model} (in error messages). */
  public OnnxGate(String model) {
    this(model, PROCESS);
  }

  /** A gate that {@code exit} stops, instead of the process's. */
  OnnxGate(String model, Exit exit) {
    this.model = model;
    this.exit = exit;
  }

  /** A call into the model, held until closed. */
  @FunctionalInterface
  public interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  /** The native work {@link #close} does once. */
  @FunctionalInterface
  public interface Free {
    void free() throws Exception;
  }

  /**
   * A permit for one call into the model.
   *
   * @throws IllegalStateException when the model is closed or the process is exiting
   */
  public Permit enter() {
    if (exit.stopped) {
      // At once: the stop may be waiting for the calls in progress, and a new caller would queue behind it.
      throw refused();
    }
    exit.calls.readLock().lock();
    calls.readLock().lock();
    if (closed || exit.stopped) {
      leave();
      throw refused();
    }
    return permit;
  }

  private IllegalStateException refused() {
    return new IllegalStateException("the " + model + " is closed ("
        + (exit.stopped ? "the process is exiting" : "its stage is shutting down") + ")");
  }

  private void leave() {
    calls.readLock().unlock();
    exit.calls.readLock().unlock();
  }

  /**
   * Waits for the calls in progress, then frees the model with {@code free}, once; a call after it
   * is refused. Once the process is exiting the model is not freed: ONNX Runtime's environment may be
   * gone already, and the process's end frees the memory.
   */
  public void close(Free free) {
    exit.calls.readLock().lock();
    calls.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (!exit.stopped) {
        free.free();
      }
    } catch (Exception e) {
      throw new IllegalStateException("closing the " + model + ": " + e.getMessage(), e);
    } finally {
      calls.writeLock().unlock();
      exit.calls.readLock().unlock();
    }
  }

  /** Whether a {@link #close} is waiting for the calls in progress (for tests). */
  boolean closeWaiting() {
    return calls.hasQueuedThreads();
  }

  /**
   * Refuses every later call into any model of this process and waits up to {@code patience} for
   * those in progress, so that none is inside native code when the JVM's shutdown hooks release ONNX
   * Runtime. Irreversible: only a process's stop calls it.
   *
   * @return whether the calls in progress finished in time
   */
  public static boolean stopForExit(Duration patience) {
    return PROCESS.stop(patience);
  }

  /** The calls of a set of models, and whether they are stopped for good. */
  static final class Exit {
    private final ReentrantReadWriteLock calls = new ReentrantReadWriteLock();
    private volatile boolean stopped;

    boolean stop(Duration patience) {
      stopped = true;
      try {
        if (calls.writeLock().tryLock(patience.toMillis(), TimeUnit.MILLISECONDS)) {
          calls.writeLock().unlock();
          return true;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      LOG.warn("a model call was still running {} s after the stop began; exiting anyway", patience.toSeconds());
      return false;
    }
  }
}
