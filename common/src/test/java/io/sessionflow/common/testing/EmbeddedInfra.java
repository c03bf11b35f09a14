package io.sessionflow.common.testing;

import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The real Kafka broker and S3Proxy for integration tests, each in its own temporary directory.
 * Tests get fresh topic names / buckets of their own rather than sharing leftovers.
 */
public final class EmbeddedInfra {
  public static final String ACCESS_KEY = "test-access";
  public static final String SECRET_KEY = "test-secret-key-0123456789";

  private EmbeddedInfra() {
  }

  public static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static EmbeddedKafkaBroker kafka(Path dir) {
    return EmbeddedKafkaBroker.start(dir);
  }

  public static EmbeddedS3Server s3(Path dir) {
    return EmbeddedS3Server.start(dir, ACCESS_KEY, SECRET_KEY);
  }

  public static KafkaConfig kafkaConfig(EmbeddedKafkaBroker broker) {
    return new KafkaConfig(broker.bootstrapServers(), 3, (short) 1, "sessionflow-test");
  }

  public static StorageConfig storageConfig(EmbeddedS3Server server, String bucket) {
    return new StorageConfig(Optional.of(server.endpoint()), "us-east-1", bucket, bucket, ACCESS_KEY, SECRET_KEY,
        true, StorageConfig.MIN_PART_SIZE);
  }
}
