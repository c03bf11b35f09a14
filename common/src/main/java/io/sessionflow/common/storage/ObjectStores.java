package io.sessionflow.common.storage;

import io.sessionflow.common.config.StorageConfig;
import io.sessionflow.common.storage.internal.S3ObjectStore;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;

/** Builds the {@link ObjectStore} from configuration. */
public final class ObjectStores {
  private ObjectStores() {
  }

  public static ObjectStore s3(StorageConfig config) {
    return new S3ObjectStore(client(config));
  }

  public static S3AsyncClient client(StorageConfig config) {
    S3AsyncClientBuilder builder = S3AsyncClient.builder()
        .region(Region.of(config.region()))
        .forcePathStyle(config.pathStyle())
        // Checksums only where S3 requires them: S3-compatible servers (S3Proxy, older MinIO) reject
        // the SDK's default aws-chunked trailing checksums. Integrity of our data is end to end: every
        // part is authenticated encryption, and the plaintext SHA-256 is recorded.
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()
            .maxConcurrency(128)
            .connectionAcquisitionTimeout(Duration.ofSeconds(30))
            .connectionTimeout(Duration.ofSeconds(5))
            .readTimeout(Duration.ofSeconds(60))
            .writeTimeout(Duration.ofSeconds(60)));
    config.endpoint().ifPresent(builder::endpointOverride);
    if (config.accessKey().isEmpty()) {
      builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
    } else {
      builder.credentialsProvider(StaticCredentialsProvider.create(
          AwsBasicCredentials.create(config.accessKey(), config.secretKey())));
    }
    return builder.build();
  }
}
