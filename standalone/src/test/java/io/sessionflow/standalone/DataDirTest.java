package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.common.runtime.StartupException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data dir keeps other local users out: owner-only folders and files, credentials kept across starts. */
class DataDirTest {
  @TempDir
  Path work;

  @Test
  void aNewDataDirAndItsFoldersAreOwnerOnly() throws Exception {
    DataDir dir = DataDir.open(work.resolve("new"));
    assertThat(mode(dir.root())).isEqualTo("rwx------");
    assertThat(mode(dir.secretsDir())).isEqualTo("rwx------");
    assertThat(mode(dir.kafkaDir())).isEqualTo("rwx------");
    assertThat(mode(dir.objectsDir())).isEqualTo("rwx------");
    dir.lock();
    dir.writeInstance(new io.vertx.core.json.JsonObject().put("pid", 1));
    assertThat(mode(dir.root().resolve("sessionflow.lock"))).isEqualTo("rw-------");
    assertThat(mode(dir.instanceFile())).isEqualTo("rw-------");
    dir.close();
  }

  @Test
  void anExistingDataDirOpenToOthersIsTightened() throws Exception {
    Path root = Files.createDirectories(work.resolve("old"));
    Files.createDirectories(root.resolve("kafka"));
    Files.createDirectories(root.resolve("secrets"));
    for (Path p : new Path[] {root, root.resolve("kafka"), root.resolve("secrets")}) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    DataDir dir = DataDir.open(root);
    assertThat(mode(root)).isEqualTo("rwx------");
    assertThat(mode(root.resolve("secrets"))).isEqualTo("rwx------");
    assertThat(mode(dir.kafkaDir())).isEqualTo("rwx------");
  }

  @Test
  void kafkaCredentialsAreGeneratedOnceOwnerOnlyAndKeptAcrossStarts() throws Exception {
    DataDir dir = DataDir.open(work.resolve("creds"));
    DataDir.KafkaCredentials first = dir.kafkaCredentials();
    assertThat(first.username()).isEqualTo("sessionflow");
    assertThat(first.password()).matches("[0-9a-f]{64}");
    assertThat(first.toString()).doesNotContain(first.password());
    assertThat(mode(dir.kafkaCredentialsFile())).isEqualTo("rw-------");
    assertThat(DataDir.open(work.resolve("creds")).kafkaCredentials()).isEqualTo(first);
    try (var files = Files.list(dir.secretsDir())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("kafka-credentials.properties");
    }
    assertThat(DataDir.open(work.resolve("other")).kafkaCredentials().password()).isNotEqualTo(first.password());
  }

  @Test
  void aKafkaCredentialsFileWithoutAPasswordStopsTheStartWithOneLine() throws Exception {
    DataDir dir = DataDir.open(work.resolve("broken"));
    Files.writeString(dir.kafkaCredentialsFile(), "username=sessionflow\n");
    assertThatThrownBy(dir::kafkaCredentials).isInstanceOf(StartupException.class)
        .hasMessageContaining("kafka-credentials.properties lacks username or password");
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }
}
