package io.sessionflow.common.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedS3ServerTest {
  @TempDir
  Path base;

  @Test
  void writesAProcessKilledMidwayLeftBehindGoAndObjectsStay() throws Exception {
    Path folder = Files.createDirectories(base.resolve("sessionflow/uploads/0f3c"));
    Path object = Files.write(folder.resolve("state.json"), new byte[] {1});
    Path tail = Files.write(folder.resolve("tail.5242880"), new byte[] {2});
    Path unfinished = Files.write(folder.resolve("state.json-232455f7-14e3-4b97-bf2a-3708efd10e75"),
        new byte[] {3});
    Path unfinishedPart = Files.write(base.resolve("sessionflow/.mpus-raw-1-3-9b2e41c0-5d1a-4f7e-8c3b-0a1b2c3d4e5f"),
        new byte[] {4});

    assertThat(EmbeddedS3Server.removeUnfinishedWrites(base)).isEqualTo(2);
    assertThat(unfinished).doesNotExist();
    assertThat(unfinishedPart).doesNotExist();
    assertThat(object).exists();
    assertThat(tail).exists();
    assertThat(EmbeddedS3Server.removeUnfinishedWrites(base)).isZero();
  }
}
