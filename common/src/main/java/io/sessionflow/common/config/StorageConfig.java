package io.sessionflow.common.config;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * How a stage reaches object storage (any S3 API: AWS S3, MinIO, S3Proxy).
 *
 * @param endpoint   endpoint override; empty means the AWS endpoint of {@code region}
 * @param region     signing region
 * @param bucket     bucket of the data areas ({@code raw/}, {@code transcripts/}, {@code analyses/}, {@code audit/})
 * @param keyBucket  bucket of wrapped data keys ({@code keys/}); may equal {@code bucket}
 * @param accessKey  static access key; empty means the SDK's default credential chain (IRSA in Kubernetes)
 * @param secretKey  static secret key, used with {@code accessKey}
 * @param pathStyle  path-style addressing, needed by S3Proxy and MinIO
 * @param partSize   plaintext bytes per multipart part (S3 wants at least 5 MiB for all but the last)
 */
public record StorageConfig(Optional<URI> endpoint, String region, String bucket, String keyBucket,
    String accessKey, String secretKey, boolean pathStyle, long partSize) {

  public static final long MIN_PART_SIZE = 5L << 20;

  public static final Setting<String> ENDPOINT = Setting.string("s3-endpoint", "S3_ENDPOINT", "",
      "S3 API endpoint, e.g. http://minio:9000; empty for AWS S3");
  public static final Setting<String> REGION = Setting.string("s3-region", "S3_REGION", "us-east-1",
      "S3 signing region");
  public static final Setting<String> BUCKET = Setting.string("s3-bucket", "S3_BUCKET", "sessionflow",
      "Bucket holding raw/, transcripts/, analyses/ and audit/").map(StorageConfig::validateBucket);
  public static final Setting<String> KEY_BUCKET = Setting.string("s3-key-bucket", "S3_KEY_BUCKET", "",
      "Bucket holding keys/ (wrapped data keys); empty means the same as --s3-bucket");
  public static final Setting<String> ACCESS_KEY = Setting.string("s3-access-key", "S3_ACCESS_KEY", "",
      "Static access key id; empty uses the default AWS credential chain");
  public static final Setting<String> SECRET_KEY = Setting.secret("s3-secret-key", "S3_SECRET_KEY", "",
      "Static secret access key, with --s3-access-key");
  public static final Setting<Boolean> PATH_STYLE = Setting.bool("s3-path-style", "S3_PATH_STYLE", false,
      "Path-style bucket addressing (MinIO, S3Proxy)");
  public static final Setting<Long> PART_SIZE = Setting.bytes("s3-part-size", "S3_PART_SIZE", "8MiB",
      MIN_PART_SIZE, 512L << 20, "Plaintext bytes per multipart part; one part buffer per upload in memory");

  public static final List<Setting<?>> SETTINGS = List.of(ENDPOINT, REGION, BUCKET, KEY_BUCKET, ACCESS_KEY,
      SECRET_KEY, PATH_STYLE, PART_SIZE);

  public static StorageConfig from(ConfigSource source) {
    String endpointText = source.get(ENDPOINT).trim();
    Optional<URI> endpoint = endpointText.isEmpty() ? Optional.empty()
        : Optional.of(source.get(Setting.httpUri(ENDPOINT.flag(), ENDPOINT.env(), "", ENDPOINT.description())));
    String bucket = source.get(BUCKET);
    String keyBucket = source.get(KEY_BUCKET).trim();
    String accessKey = source.get(ACCESS_KEY).trim();
    String secretKey = source.get(SECRET_KEY);
    if (!accessKey.isEmpty() && secretKey.isEmpty()) {
      throw new ConfigException("Missing setting --s3-secret-key (env S3_SECRET_KEY): required with --s3-access-key");
    }
    return new StorageConfig(endpoint, source.get(REGION), bucket,
        keyBucket.isEmpty() ? bucket : validateBucket(keyBucket), accessKey, secretKey, source.get(PATH_STYLE),
        source.get(PART_SIZE));
  }

  private static String validateBucket(String raw) {
    String name = raw.trim();
    if (!name.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("expected an S3 bucket name: 3-63 lower-case letters, digits, dots, dashes");
    }
    return name;
  }

  @Override
  public String toString() {
    return "StorageConfig[endpoint=" + endpoint.map(URI::toString).orElse("aws") + ", region=" + region
        + ", bucket=" + bucket + ", keyBucket=" + keyBucket + ", pathStyle=" + pathStyle + ", partSize="
        + ByteSize.format(partSize) + "]";
  }
}
