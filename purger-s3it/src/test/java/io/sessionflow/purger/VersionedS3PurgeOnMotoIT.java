package io.sessionflow.purger;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sessionflow.common.embedded.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * The same tests against moto's S3 server, a second implementation whose versioning follows S3
 * where S3Mock's does not: it keeps the "null" version of an object written before versioning
 * was enabled, and a version deleted by its id can no longer be read by it. moto is not on Maven
 * Central: it runs when {@code moto_server} is on the PATH (it is on the project's machines) and
 * is skipped, saying so, where it is not.
 */
class VersionedS3PurgeOnMotoIT extends VersionedS3PurgeIT {

  @Override
  URI startServer(Path dataDir) {
    Optional<Path> moto = onPath("moto_server");
    assumeTrue(moto.isPresent(), "moto_server is not on the PATH");
    int port = FreePorts.find();
    Process process;
    try {
      process = new ProcessBuilder(moto.get().toString(), "-H", "127.0.0.1", "-p", Integer.toString(port))
          .redirectErrorStream(true).redirectOutput(dataDir.resolve("moto.log").toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + moto.get(), e);
    }
    useServer(() -> {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    });
    Awaitility.await("moto_server listening on " + port).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100)).until(() -> {
          if (!process.isAlive()) {
            throw new IllegalStateException("moto_server exited with " + process.exitValue() + ": "
                + Files.readString(dataDir.resolve("moto.log")));
          }
          return listening(port);
        });
    return URI.create("http://127.0.0.1:" + port);
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<Path> onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Stream.of(path.split(java.io.File.pathSeparator)).map(dir -> Path.of(dir, command))
        .filter(Files::isExecutable).findFirst();
  }
}
