package io.sessionflow.ingest.imports;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import java.util.List;

/**
 * Limits that keep an archive from being a weapon.
 *
 * @param maxEntryBytes largest single recording in an archive
 * @param maxTotalBytes most uncompressed bytes one archive may expand to
 * @param maxRatio      most uncompressed bytes per compressed byte (audio barely compresses)
 */
public record ImportLimits(long maxEntryBytes, long maxTotalBytes, int maxRatio) {

  public static final Setting<Long> MAX_ENTRY = Setting.bytes("import-max-entry-size", "IMPORT_MAX_ENTRY_SIZE",
      "2GiB", 1, 1L << 40, "Largest recording inside an import archive");
  public static final Setting<Long> MAX_TOTAL = Setting.bytes("import-max-total-size", "IMPORT_MAX_TOTAL_SIZE",
      "200GiB", 1, 1L << 50, "Most bytes one import archive may expand to");
  public static final Setting<Integer> MAX_RATIO = Setting.integer("import-max-compression-ratio",
      "IMPORT_MAX_COMPRESSION_RATIO", 50, 2, 100_000,
      "Most expanded bytes per archive byte before an import is stopped as a decompression bomb");

  public static final List<Setting<?>> SETTINGS = List.of(MAX_ENTRY, MAX_TOTAL, MAX_RATIO);

  public static ImportLimits from(ConfigSource source) {
    return new ImportLimits(source.get(MAX_ENTRY), source.get(MAX_TOTAL), source.get(MAX_RATIO));
  }
}
