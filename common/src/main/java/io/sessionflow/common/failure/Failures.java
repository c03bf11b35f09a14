package io.sessionflow.common.failure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * What Sessionflow says about a failure: whether it is worth retrying, and a reason that is safe
 * to put in a dead letter, a log line or a metric (no PHI: only our own messages, which are
 * written never to carry content, and the class names of everything else).
 */
public final class Failures {
  private Failures() {
  }

  public static boolean isRetryable(Throwable failure) {
    Throwable t = unwrap(failure);
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof Retryable r) {
        return r.retryable();
      }
      if (c instanceof TimeoutException || c instanceof ConnectException || c instanceof IOException
          || c instanceof UncheckedIOException) {
        return true;
      }
      if (c instanceof org.apache.kafka.common.errors.RetriableException) {
        return true;
      }
    }
    return false;
  }

  /** Strips the wrappers futures add, so the real failure is classified. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** A one-line reason without PHI. */
  public static String reason(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof Retryable && t.getMessage() != null) {
      return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
    if (t.getClass().getName().startsWith("io.sessionflow.") && t.getMessage() != null) {
      return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
    return t.getClass().getSimpleName();
  }
}
