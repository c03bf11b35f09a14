package io.sessionflow.common.storage;

/** A part uploaded in a multipart upload: its number (from 1) and the ETag the store returned. */
public record CompletedPart(int partNumber, String etag, long size) {
}
