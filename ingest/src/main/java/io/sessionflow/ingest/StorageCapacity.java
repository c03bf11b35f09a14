package io.sessionflow.ingest;

import java.util.Optional;

/**
 * Whether there is room to take in more audio. Object storage in production has none to run out
 * of; standalone keeps everything on one local disk and refuses uploads before it fills, so the
 * pipeline (Kafka, transcripts, purges) always has room to drain.
 */
@FunctionalInterface
public interface StorageCapacity {
  StorageCapacity UNLIMITED = Optional::empty;

  /** Empty when uploads may proceed; otherwise why not, in words a person can act on (no PHI). */
  Optional<String> shortage();
}
