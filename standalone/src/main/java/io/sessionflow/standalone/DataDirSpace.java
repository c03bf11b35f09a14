package io.sessionflow.standalone;

import io.sessionflow.common.config.ByteSize;
import io.sessionflow.common.config.Setting;
import io.sessionflow.ingest.StorageCapacity;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Free space on the data dir's disk. Standalone keeps raw audio, Kafka's logs and transcripts on
 * that one disk: uploads are refused while less than the reserve is free, so the broker and the
 * stages always have room to finish what was taken in, and purging transcribed audio frees it.
 */
final class DataDirSpace implements StorageCapacity {
  static final Setting<Long> MIN_FREE = Setting.bytes("min-free-space", "SESSIONFLOW_MIN_FREE_SPACE", "512MiB", 0,
      1L << 50, "Uploads are refused (507) while less than this is free on the data dir's disk");
  private final FileStore store;
  private final long reserve;

  DataDirSpace(Path dataDir, long reserve) {
    try {
      this.store = Files.getFileStore(dataDir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the free space of " + dataDir, e);
    }
    this.reserve = reserve;
  }

  @Override
  public Optional<String> shortage() {
    long free;
    try {
      free = store.getUsableSpace();
    } catch (IOException e) {
      return Optional.of("The free space of the data dir cannot be read (" + e.getClass().getSimpleName() + ").");
    }
    if (free >= reserve) {
      return Optional.empty();
    }
    return Optional.of("The data dir's disk has " + ByteSize.format(free) + " free, less than the "
        + ByteSize.format(reserve) + " reserve (--min-free-space): uploads wait until transcribed audio is purged "
        + "or space is freed.");
  }
}
