package io.sessionflow.purger.internal;

import io.sessionflow.purger.PurgeReceipt.DeletedItem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A purge under way, stored at {@code purges/ID.json} before anything is deleted: what was found
 * (with its ciphertext hashes) survives a crash between deleting and writing the receipt, so the
 * run that resumes it still reports every version the first one removed. No PHI.
 *
 * @param chainSearchFrom the audit chain's size when the purge started: a resumed purge looks for
 *                        its receipt from there, so it is appended once
 */
public record PurgeIntent(String receiptId, PurgeOrder order, Instant startedAt, long chainSearchFrom,
    List<DeletedItem> items) {

  public PurgeIntent {
    items = List.copyOf(items);
  }

  /** This intent plus whatever of {@code found} it does not list yet. */
  public PurgeIntent with(List<DeletedItem> found) {
    List<DeletedItem> merged = new ArrayList<>(items);
    for (DeletedItem item : found) {
      if (known(item) == null) {
        merged.add(item);
      }
    }
    return new PurgeIntent(receiptId, order, startedAt, chainSearchFrom, merged);
  }

  /** The item already recorded for the same object version, if any. */
  public DeletedItem known(DeletedItem item) {
    for (DeletedItem existing : items) {
      if (existing.bucket().equals(item.bucket()) && existing.key().equals(item.key())
          && Objects.equals(existing.versionId(), item.versionId()) && existing.kind().equals(item.kind())) {
        return existing;
      }
    }
    return null;
  }
}
