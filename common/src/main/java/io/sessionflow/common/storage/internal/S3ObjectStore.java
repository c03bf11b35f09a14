package io.sessionflow.common.storage.internal;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.storage.CompletedPart;
import io.sessionflow.common.storage.MultipartUploadInfo;
import io.sessionflow.common.storage.ObjectInfo;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectVersion;
import io.sessionflow.common.storage.StorageException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectVersionsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** {@link ObjectStore} on the AWS SDK v2 async S3 client. */
public final class S3ObjectStore implements ObjectStore {
  /** Per bucket: does the store list versions (see {@link #versioned}). */
  private final java.util.Map<String, CompletableFuture<Boolean>> versioning =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final S3AsyncClient s3;

  public S3ObjectStore(S3AsyncClient s3) {
    this.s3 = s3;
  }

  @Override
  public CompletableFuture<Void> ensureBucket(String bucket) {
    return call("create bucket", bucket, "", () -> s3.headBucket(b -> b.bucket(bucket))
        .<Void>thenApply(r -> null)
        .exceptionallyCompose(e -> statusOf(e) == 404
            ? s3.createBucket(b -> b.bucket(bucket)).<Void>thenApply(r -> null)
                .exceptionally(ce -> {
                  if (Failures.unwrap(ce) instanceof BucketAlreadyOwnedByYouException) {
                    return null;
                  }
                  throw new CompletionException(ce);
                })
            : CompletableFuture.failedFuture(e)));
  }

  @Override
  public CompletableFuture<Boolean> isReachable(String bucket) {
    return s3.headBucket(b -> b.bucket(bucket)).handle((r, e) -> e == null);
  }

  @Override
  public CompletableFuture<ObjectInfo> put(String bucket, String key, byte[] body, Map<String, String> metadata) {
    return call("put", bucket, key, () -> s3.putObject(putRequest(bucket, key, body, metadata).build(),
        AsyncRequestBody.fromBytesUnsafe(body))
        .thenApply(r -> new ObjectInfo(key, body.length, r.eTag(), r.versionId(), null, metadata)));
  }

  @Override
  public CompletableFuture<ObjectInfo> putIfAbsent(String bucket, String key, byte[] body,
      Map<String, String> metadata) {
    return call("conditional put", bucket, key, () -> s3.putObject(
        putRequest(bucket, key, body, metadata).ifNoneMatch("*").build(), AsyncRequestBody.fromBytesUnsafe(body))
        .thenApply(r -> new ObjectInfo(key, body.length, r.eTag(), r.versionId(), null, metadata)));
  }

  @Override
  public CompletableFuture<Boolean> supportsConditionalWrites(String bucket) {
    String probe = "probes/conditional-write-" + UUID.randomUUID();
    byte[] empty = new byte[0];
    return putIfAbsent(bucket, probe, empty, Map.of())
        .thenCompose(first -> putIfAbsent(bucket, probe, empty, Map.of()).handle((second, e) ->
            e != null && Failures.unwrap(e) instanceof StorageException se && se.isPreconditionFailed()))
        .thenCompose(supported -> delete(bucket, probe).thenApply(ignored -> supported));
  }

  private static PutObjectRequest.Builder putRequest(String bucket, String key, byte[] body,
      Map<String, String> metadata) {
    return PutObjectRequest.builder().bucket(bucket).key(key).metadata(metadata)
        .contentLength((long) body.length).contentType("application/octet-stream");
  }

  @Override
  public CompletableFuture<byte[]> get(String bucket, String key) {
    return call("get", bucket, key, () -> s3.getObject(b -> b.bucket(bucket).key(key),
        AsyncResponseTransformer.<GetObjectResponse>toBytes()).thenApply(ResponseBytes::asByteArrayUnsafe));
  }

  @Override
  public CompletableFuture<byte[]> getRange(String bucket, String key, long offset, long length) {
    if (length <= 0) {
      return CompletableFuture.completedFuture(new byte[0]);
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    return call("ranged get", bucket, key, () -> s3.getObject(b -> b.bucket(bucket).key(key).range(range),
        AsyncResponseTransformer.<GetObjectResponse>toBytes()).thenApply(ResponseBytes::asByteArrayUnsafe));
  }

  @Override
  public CompletableFuture<byte[]> getVersionRange(String bucket, String key, String versionId, long offset,
      long length) {
    if (versionId == null) {
      return getRange(bucket, key, offset, length);
    }
    if (length <= 0) {
      return CompletableFuture.completedFuture(new byte[0]);
    }
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    return call("versioned get", bucket, key, () -> s3.getObject(b -> b.bucket(bucket).key(key)
        .versionId(versionId).range(range), AsyncResponseTransformer.<GetObjectResponse>toBytes())
        .thenApply(ResponseBytes::asByteArrayUnsafe));
  }

  @Override
  public CompletableFuture<ObjectInfo> head(String bucket, String key) {
    return call("head", bucket, key, () -> s3.headObject(b -> b.bucket(bucket).key(key))
        .thenApply((HeadObjectResponse r) -> new ObjectInfo(key, r.contentLength(), r.eTag(), r.versionId(),
            r.lastModified(), r.metadata())));
  }

  @Override
  public CompletableFuture<List<String>> listKeys(String bucket, String prefix) {
    List<String> keys = Collections.synchronizedList(new ArrayList<>());
    return call("list", bucket, prefix, () -> s3.listObjectsV2Paginator(
        ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
        .contents().subscribe(o -> keys.add(o.key()))
        .thenApply(done -> List.copyOf(keys)));
  }

  @Override
  public CompletableFuture<List<ObjectVersion>> listVersions(String bucket, String prefix) {
    return versioned(bucket).thenCompose(versioned -> versioned
        ? call("list versions", bucket, prefix, () -> listVersionPages(bucket, prefix, null, null, new ArrayList<>()))
        : listUnversioned(bucket, prefix));
  }

  /**
   * Whether the store lists versions, asked once per bucket (concurrent callers share the one
   * question). Backends without versioning (S3Proxy's filesystem store) answer 501: there each
   * object is its only version. Each refusal is also an ERROR line in that server's log, hence once.
   */
  private CompletableFuture<Boolean> versioned(String bucket) {
    CompletableFuture<Boolean> known = versioning.computeIfAbsent(bucket, b -> call("list versions", b, "",
        () -> s3.listObjectVersions(ListObjectVersionsRequest.builder().bucket(b).maxKeys(1).build())
            .thenApply(page -> true))
        .exceptionallyCompose(e -> {
          Throwable cause = Failures.unwrap(e);
          if (cause instanceof StorageException se && (se.status() == 501 || se.status() == 405)) {
            return CompletableFuture.completedFuture(false);
          }
          return CompletableFuture.failedFuture(cause);
        }));
    // A failed probe (storage down) is asked again next time.
    return known.whenComplete((answer, error) -> {
      if (error != null) {
        versioning.remove(bucket, known);
      }
    });
  }

  private CompletableFuture<List<ObjectVersion>> listVersionPages(String bucket, String prefix, String keyMarker,
      String versionMarker, List<ObjectVersion> into) {
    ListObjectVersionsRequest request = ListObjectVersionsRequest.builder().bucket(bucket).prefix(prefix)
        .keyMarker(keyMarker).versionIdMarker(versionMarker).build();
    return s3.listObjectVersions(request).thenCompose((ListObjectVersionsResponse page) -> {
      page.versions().forEach(v -> into.add(new ObjectVersion(v.key(), v.versionId(), v.size(), v.lastModified(),
          false, Boolean.TRUE.equals(v.isLatest()))));
      page.deleteMarkers().forEach(m -> into.add(new ObjectVersion(m.key(), m.versionId(), 0, m.lastModified(),
          true, Boolean.TRUE.equals(m.isLatest()))));
      if (Boolean.TRUE.equals(page.isTruncated())) {
        return listVersionPages(bucket, prefix, page.nextKeyMarker(), page.nextVersionIdMarker(), into);
      }
      return CompletableFuture.completedFuture(List.copyOf(into));
    });
  }

  private CompletableFuture<List<ObjectVersion>> listUnversioned(String bucket, String prefix) {
    List<ObjectVersion> versions = Collections.synchronizedList(new ArrayList<>());
    return call("list", bucket, prefix, () -> s3.listObjectsV2Paginator(
        ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
        .contents().subscribe(o -> versions.add(new ObjectVersion(o.key(), null, o.size(), o.lastModified(), false,
            true)))
        .thenApply(done -> List.copyOf(versions)));
  }

  @Override
  public CompletableFuture<Void> delete(String bucket, String key) {
    return call("delete", bucket, key, () -> s3.deleteObject(b -> b.bucket(bucket).key(key))
        .thenApply(r -> null));
  }

  @Override
  public CompletableFuture<Void> deleteVersion(String bucket, String key, String versionId) {
    return call("delete version", bucket, key, () -> s3.deleteObject(b -> b.bucket(bucket).key(key)
        .versionId(versionId)).thenApply(r -> null));
  }

  @Override
  public CompletableFuture<String> createMultipartUpload(String bucket, String key, Map<String, String> metadata) {
    return call("create multipart upload", bucket, key, () -> s3.createMultipartUpload(b -> b.bucket(bucket)
        .key(key).metadata(metadata).contentType("application/octet-stream"))
        .thenApply(r -> r.uploadId()));
  }

  @Override
  public CompletableFuture<CompletedPart> uploadPart(String bucket, String key, String uploadId, int partNumber,
      byte[] body) {
    return call("upload part " + partNumber, bucket, key, () -> s3.uploadPart(b -> b.bucket(bucket).key(key)
        .uploadId(uploadId).partNumber(partNumber).contentLength((long) body.length),
        AsyncRequestBody.fromBytesUnsafe(body))
        .thenApply(r -> new CompletedPart(partNumber, r.eTag(), body.length)));
  }

  @Override
  public CompletableFuture<ObjectInfo> completeMultipartUpload(String bucket, String key, String uploadId,
      List<CompletedPart> parts) {
    List<software.amazon.awssdk.services.s3.model.CompletedPart> sdkParts = parts.stream()
        .map(p -> software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(p.partNumber())
            .eTag(p.etag()).build())
        .toList();
    long size = parts.stream().mapToLong(CompletedPart::size).sum();
    return call("complete multipart upload", bucket, key, () -> s3.completeMultipartUpload(b -> b.bucket(bucket)
        .key(key).uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(sdkParts).build()))
        .thenApply(r -> new ObjectInfo(key, size, r.eTag(), r.versionId(), null, Map.of())));
  }

  @Override
  public CompletableFuture<Void> abortMultipartUpload(String bucket, String key, String uploadId) {
    return call("abort multipart upload", bucket, key, () -> s3.abortMultipartUpload(b -> b.bucket(bucket)
        .key(key).uploadId(uploadId)).thenApply(r -> null));
  }

  @Override
  public CompletableFuture<List<MultipartUploadInfo>> listMultipartUploads(String bucket, String prefix) {
    return call("list multipart uploads", bucket, prefix,
        () -> listUploadPages(bucket, prefix, null, null, new ArrayList<>()));
  }

  private CompletableFuture<List<MultipartUploadInfo>> listUploadPages(String bucket, String prefix,
      String keyMarker, String uploadIdMarker, List<MultipartUploadInfo> into) {
    ListMultipartUploadsRequest request = ListMultipartUploadsRequest.builder().bucket(bucket).prefix(prefix)
        .keyMarker(keyMarker).uploadIdMarker(uploadIdMarker).build();
    return s3.listMultipartUploads(request).thenCompose((ListMultipartUploadsResponse page) -> {
      page.uploads().forEach(u -> into.add(new MultipartUploadInfo(u.key(), u.uploadId(), u.initiated())));
      if (Boolean.TRUE.equals(page.isTruncated())) {
        return listUploadPages(bucket, prefix, page.nextKeyMarker(), page.nextUploadIdMarker(), into);
      }
      return CompletableFuture.completedFuture(List.copyOf(into));
    });
  }

  @Override
  public void close() {
    s3.close();
  }

  /** Runs an SDK call and turns every failure into a {@link StorageException} that says what was tried. */
  private static <T> CompletableFuture<T> call(String operation, String bucket, String key,
      Supplier<CompletableFuture<T>> sdkCall) {
    CompletableFuture<T> started;
    try {
      started = sdkCall.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    return started.exceptionallyCompose(e -> CompletableFuture.failedFuture(translate(operation, bucket, key, e)));
  }

  static StorageException translate(String operation, String bucket, String key, Throwable failure) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof StorageException se) {
      return se;
    }
    int status = statusOf(cause);
    boolean retryable = status == 0 ? cause instanceof SdkClientException || Failures.isRetryable(cause)
        : status >= 500 || status == 429 || status == 408;
    String where = bucket + (key.isEmpty() ? "" : "/" + key);
    String code = cause instanceof S3Exception s3e && s3e.awsErrorDetails() != null
        ? " " + s3e.awsErrorDetails().errorCode() : "";
    String detail = status == 0 ? "no answer (" + cause.getClass().getSimpleName() + ")" : "HTTP " + status + code;
    return new StorageException(operation + " " + where + " failed: " + detail, status, retryable, cause);
  }

  private static int statusOf(Throwable failure) {
    Throwable cause = Failures.unwrap(failure);
    if (cause instanceof S3Exception s3e) {
      return s3e.statusCode();
    }
    if (cause instanceof StorageException se) {
      return se.status();
    }
    return 0;
  }
}
