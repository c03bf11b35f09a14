package io.sessionflow.ingest.imports;

import java.util.HashMap;
import java.util.Map;

/**
 * Who may run an import now. Each practice gets at most {@code perPractice} at once and the ingest
 * {@code total}; an import over either limit is refused at once (429), never queued, so one
 * practice's imports never wait behind another's.
 */
final class ImportSlots {
  private final int perPractice;
  private final int total;
  private final Map<String, Integer> running = new HashMap<>();
  private int inUse;

  ImportSlots(int perPractice, int total) {
    this.perPractice = perPractice;
    this.total = total;
  }

  /** A slot for the practice; a refusal saying why when none is free. */
  synchronized Grant acquire(String practiceId) {
    int mine = running.getOrDefault(practiceId, 0);
    if (mine >= perPractice) {
      return new Grant(null, "Your practice already has " + mine + " import(s) running, the most it may run at "
          + "once; send this archive when one has finished.");
    }
    if (inUse >= total) {
      return new Grant(null, "The server is running its maximum of " + total + " imports; retry shortly.");
    }
    running.put(practiceId, mine + 1);
    inUse++;
    return new Grant(new Slot(practiceId), null);
  }

  synchronized int inUse() {
    return inUse;
  }

  private synchronized void release(String practiceId) {
    running.computeIfPresent(practiceId, (p, n) -> n > 1 ? n - 1 : null);
    inUse--;
  }

  /** A slot, or the reason there is none. */
  record Grant(Slot slot, String refusal) {
  }

  /** Held for one import; released exactly once. */
  final class Slot implements AutoCloseable {
    private final String practiceId;
    private boolean released;

    private Slot(String practiceId) {
      this.practiceId = practiceId;
    }

    @Override
    public void close() {
      synchronized (ImportSlots.this) {
        if (released) {
          return;
        }
        released = true;
      }
      release(practiceId);
    }
  }
}
