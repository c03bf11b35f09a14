package io.sessionflow.common.storage;

import java.time.Instant;

/**
 * One version of an object, or a delete marker.
 *
 * @param versionId the version id; {@code null} on an unversioned bucket or backend
 */
public record ObjectVersion(String key, String versionId, long size, Instant lastModified, boolean deleteMarker,
    boolean latest) {
}
