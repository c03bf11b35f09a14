package io.sessionflow.common.storage;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The object-store operations Sessionflow uses, over any S3 API. Every call is asynchronous and
 * completes on an SDK thread: a Vert.x caller brings the result back onto its context. Failures
 * are {@link StorageException}s.
 */
public interface ObjectStore extends AutoCloseable {

  CompletableFuture<Void> ensureBucket(String bucket);

  /** True when the bucket answers; never fails. */
  CompletableFuture<Boolean> isReachable(String bucket);

  CompletableFuture<ObjectInfo> put(String bucket, String key, byte[] body, Map<String, String> metadata);

  /**
   * Writes only if no object exists under the key ({@code If-None-Match: *}); fails with a
   * {@link StorageException} whose {@link StorageException#isPreconditionFailed()} is true if
   * one does. Backends without conditional writes are detected and refused at start-up by
   * {@link #supportsConditionalWrites(String)}.
   */
  CompletableFuture<ObjectInfo> putIfAbsent(String bucket, String key, byte[] body, Map<String, String> metadata);

  CompletableFuture<Boolean> supportsConditionalWrites(String bucket);

  CompletableFuture<byte[]> get(String bucket, String key);

  /** Bytes {@code [offset, offset + length)} of the object. */
  CompletableFuture<byte[]> getRange(String bucket, String key, long offset, long length);

  /**
   * Bytes {@code [offset, offset + length)} of one version of the object; a null
   * {@code versionId} reads the current version ({@code "null"} is S3's id of a version written
   * before versioning was on). Fails with 404 once that version is gone.
   */
  CompletableFuture<byte[]> getVersionRange(String bucket, String key, String versionId, long offset, long length);

  CompletableFuture<ObjectInfo> head(String bucket, String key);

  CompletableFuture<List<String>> listKeys(String bucket, String prefix);

  /** Every version and delete marker under a prefix; an unversioned backend lists each object once. */
  CompletableFuture<List<ObjectVersion>> listVersions(String bucket, String prefix);

  CompletableFuture<Void> delete(String bucket, String key);

  CompletableFuture<Void> deleteVersion(String bucket, String key, String versionId);

  CompletableFuture<String> createMultipartUpload(String bucket, String key, Map<String, String> metadata);

  CompletableFuture<CompletedPart> uploadPart(String bucket, String key, String uploadId, int partNumber,
      byte[] body);

  CompletableFuture<ObjectInfo> completeMultipartUpload(String bucket, String key, String uploadId,
      List<CompletedPart> parts);

  CompletableFuture<Void> abortMultipartUpload(String bucket, String key, String uploadId);

  CompletableFuture<List<MultipartUploadInfo>> listMultipartUploads(String bucket, String prefix);

  @Override
  void close();

  /**
   * Deletes an object with every version and delete marker of it, by version id (a plain delete
   * only hides an object on a versioned bucket; an unversioned store's object is its only version).
   * Returns the versions it deleted; an object already gone yields an empty list.
   */
  default CompletableFuture<List<ObjectVersion>> deleteEveryVersion(String bucket, String key) {
    return listVersions(bucket, key).thenCompose(versions -> {
      List<ObjectVersion> exact = versions.stream().filter(v -> v.key().equals(key)).toList();
      CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
      for (ObjectVersion version : exact) {
        all = all.thenCompose(ignored -> version.versionId() == null ? delete(bucket, key)
            : deleteVersion(bucket, key, version.versionId()));
      }
      return all.thenApply(ignored -> exact);
    });
  }
}
