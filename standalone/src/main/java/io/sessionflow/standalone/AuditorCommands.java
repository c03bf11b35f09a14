package io.sessionflow.standalone;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.embedded.EmbeddedS3Server;
import io.sessionflow.common.event.AuditChainEntryEvent;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectStores;
import io.sessionflow.purger.AuditChainVerifier;
import io.sessionflow.purger.PurgeVerifier;
import io.sessionflow.purger.PurgerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code verify-purge} and {@code verify-audit}: read-only checks an auditor runs against a
 * standalone data dir (running or not: a private S3 server is started over its files, and the
 * audit topic is read from the broker's log segments) or against real S3 with {@code --s3-endpoint}.
 */
final class AuditorCommands {
  static final List<Setting<?>> SETTINGS = PipelineConfig.concat(List.of(SessionflowCli.DATA_DIR),
      StorageConfig.SETTINGS, List.of(PurgerConfig.MAX_RETENTION, PurgerConfig.PURGE_SLO));

  private AuditorCommands() {
  }

  static int verifyPurge(ConfigSource source, PrintStream out, Clock clock) {
    source.rejectUnknownFlags(SETTINGS, List.of("help"));
    Duration retention = source.get(PurgerConfig.MAX_RETENTION);
    Duration slo = source.get(PurgerConfig.PURGE_SLO);
    try (Storage storage = Storage.open(source)) {
      return PurgeVerifier.run(storage.store(), storage.config().bucket(), storage.config().keyBucket(), retention,
          slo, clock.instant(), out);
    }
  }

  static int verifyAudit(ConfigSource source, PrintStream out) {
    source.rejectUnknownFlags(SETTINGS, List.of("help"));
    try (Storage storage = Storage.open(source)) {
      Optional<List<AuditChainEntryEvent>> topic = storage.dataDir()
          .map(dir -> KafkaLogReader.auditChain(dir.path("kafka")));
      return AuditChainVerifier.run(storage.store(), storage.config().bucket(), topic, out);
    }
  }

  /** The object store to audit, and the embedded server started to read a data dir, if any. */
  private record Storage(ObjectStore store, StorageConfig config, Optional<EmbeddedS3Server> server,
      Optional<DataDir> dataDir) implements AutoCloseable {

    static Storage open(ConfigSource source) {
      if (!source.get(StorageConfig.ENDPOINT).isBlank()) {
        StorageConfig config = StorageConfig.from(source);
        return new Storage(ObjectStores.s3(config), config, Optional.empty(), Optional.empty());
      }
      DataDir dir = DataDir.existing(Path.of(source.get(SessionflowCli.DATA_DIR)));
      // The embedded filesystem store has no versioning; its handler logs our one probe for it at
      // ERROR, which would read like a failed audit. Any real storage failure ends the command with
      // its own message (exit 1), so nothing is hidden by quieting that handler here.
      ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.gaul.s3proxy.S3ProxyHandler"))
          .setLevel(ch.qos.logback.classic.Level.OFF);
      DataDir.S3Credentials credentials = dir.s3Credentials();
      EmbeddedS3Server server = EmbeddedS3Server.start(dir.path("objects"), credentials.accessKey(),
          credentials.secretKey());
      try {
        StorageConfig config = StorageConfig.from(source.withFlags(Map.of("s3-endpoint",
            server.endpoint().toString(), "s3-access-key", credentials.accessKey(), "s3-secret-key",
            credentials.secretKey(), "s3-path-style", "true")));
        return new Storage(ObjectStores.s3(config), config, Optional.of(server), Optional.of(dir));
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }

    @Override
    public void close() {
      store.close();
      server.ifPresent(EmbeddedS3Server::close);
    }
  }
}
