package io.sessionflow.common.crypto;

import java.nio.charset.StandardCharsets;

/**
 * What a ciphertext part is bound to: its recording, the logical object it belongs to
 * ({@code raw}, {@code transcript}, ...), its part number and whether it is the last part. These
 * are the associated data of the part's streaming AEAD, so moving a part to another recording,
 * another object, another position, or dropping trailing parts fails authentication.
 */
public record PartBinding(String recordingId, String objectName, int partNumber, boolean last) {
  private static final String VERSION = "sessionflow/part/v1";

  public PartBinding {
    Ids.requireId(recordingId, "recordingId");
    if (objectName == null || !objectName.matches("[a-z][a-z0-9-]{0,31}")) {
      throw new IllegalArgumentException("objectName must be a short lower-case name");
    }
    if (partNumber < 1) {
      throw new IllegalArgumentException("partNumber starts at 1");
    }
  }

  byte[] associatedData() {
    return (VERSION + "|" + recordingId + "|" + objectName + "|" + partNumber + "|" + (last ? "last" : "more"))
        .getBytes(StandardCharsets.UTF_8);
  }
}
