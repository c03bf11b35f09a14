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
