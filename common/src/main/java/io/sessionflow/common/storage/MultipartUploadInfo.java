package io.sessionflow.common.storage;

import java.time.Instant;

/** A multipart upload that was started and neither completed nor aborted. */
public record MultipartUploadInfo(String key, String uploadId, Instant initiated) {
}
