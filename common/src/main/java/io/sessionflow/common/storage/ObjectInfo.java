package io.sessionflow.common.storage;

import java.time.Instant;
import java.util.Map;

/** What HEAD says about an object. */
public record ObjectInfo(String key, long size, String etag, String versionId, Instant lastModified,
    Map<String, String> metadata) {
}
