package io.sessionflow.common.config;

import java.util.ArrayList;
import java.util.List;

/** The settings every stage shares: Kafka, object storage and the KEK. Part of each stage's own config record. */
public record PipelineConfig(KafkaConfig kafka, StorageConfig storage, CryptoConfig crypto) {

  public static final List<Setting<?>> SETTINGS = concat(KafkaConfig.SETTINGS, StorageConfig.SETTINGS,
      CryptoConfig.SETTINGS);

  public static PipelineConfig from(ConfigSource source) {
    return new PipelineConfig(KafkaConfig.from(source), StorageConfig.from(source), CryptoConfig.from(source));
  }

  @SafeVarargs
  public static List<Setting<?>> concat(List<Setting<?>>... lists) {
    List<Setting<?>> all = new ArrayList<>();
    for (List<Setting<?>> list : lists) {
      all.addAll(list);
    }
    return List.copyOf(all);
  }
}
