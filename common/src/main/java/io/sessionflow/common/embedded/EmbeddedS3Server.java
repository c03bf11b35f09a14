package io.sessionflow.common.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-API server (S3Proxy over its filesystem blob store) in this JVM, bound to 127.0.0.1
 * and requiring SigV4 with the given credentials. Everything it stores lives under one directory.
 */
public final class EmbeddedS3Server implements AutoCloseable {
  /** A write in progress: the object's name, a dash and a random UUID. */
  private static final java.util.regex.Pattern UNFINISHED = java.util.regex.Pattern.compile(
      ".+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private final S3Proxy proxy;
  private final BlobStoreContext context;
  private final URI endpoint;

  private EmbeddedS3Server(S3Proxy proxy, BlobStoreContext context, URI endpoint) {
    this.proxy = proxy;
    this.context = context;
    this.endpoint = endpoint;
  }

  public static EmbeddedS3Server start(Path baseDir, String accessKey, String secretKey) {
    try {
      Files.createDirectories(baseDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create object store directory " + baseDir, e);
    }
    removeUnfinishedWrites(baseDir);
    Properties properties = new Properties();
    properties.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
    BlobStoreContext context = ContextBuilder.newBuilder("filesystem-nio2")
        .credentials(accessKey, secretKey)
        .overrides(properties)
        .build(BlobStoreContext.class);
    BlobStore blobStore = context.getBlobStore();
    URI endpoint = URI.create("http://127.0.0.1:" + FreePorts.find());
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(blobStore)
        .endpoint(endpoint)
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        .jettyMaxThreads(64)
        .build();
    try {
      proxy.start();
      for (int i = 0; i < 200 && !"STARTED".equals(proxy.getState()); i++) {
        Thread.onSpinWait();
        if (!"STARTED".equals(proxy.getState())) {
          // Jetty starts synchronously in practice; this only guards against a slow state flip.
          java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        }
      }
    } catch (Exception e) {
      context.close();
      throw new IllegalStateException("cannot start S3Proxy on " + endpoint + ": " + e.getMessage(), e);
    }
    if (!"STARTED".equals(proxy.getState())) {
      context.close();
      throw new IllegalStateException("S3Proxy did not start on " + endpoint);
    }
    return new EmbeddedS3Server(proxy, context, endpoint);
  }

  /**
   * The filesystem blob store writes each object to {@code NAME-UUID} beside it and renames it
   * into place. A process killed mid-write leaves that file behind, without the attributes the
   * store reads when it lists, so every later listing of its folder fails (HTTP 500): the purge of
   * that recording and the retention sweep would fail for good. No such write was acknowledged,
   * so the leftovers go before the store starts.
   */
  static int removeUnfinishedWrites(Path baseDir) {
    int[] removed = {0};
    try (java.util.stream.Stream<Path> files = Files.walk(baseDir)) {
      files.filter(Files::isRegularFile).filter(f -> UNFINISHED.matcher(f.getFileName().toString()).matches())
          .forEach(f -> {
            try {
              Files.deleteIfExists(f);
              removed[0]++;
            } catch (IOException e) {
              throw new UncheckedIOException("cannot remove the unfinished write " + f, e);
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look through object store directory " + baseDir, e);
    }
    if (removed[0] > 0) {
      org.slf4j.LoggerFactory.getLogger(EmbeddedS3Server.class).warn(
          "removed {} unfinished object write(s) left by an earlier crash", removed[0]);
    }
    return removed[0];
  }

  public URI endpoint() {
    return endpoint;
  }

  @Override
  public void close() {
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("S3Proxy did not stop cleanly", e);
    } finally {
      context.close();
    }
  }
}
