package io.sessionflow.common.crypto;

import io.sessionflow.common.failure.SessionflowException;

/**
 * Encryption, decryption or key handling failed. An authentication failure (tampered,
 * truncated, reordered or spliced ciphertext, wrong recording) is never retryable; a KMS outage is.
 */
public final class CryptoException extends SessionflowException {
  private static final long serialVersionUID = 1L;

  public CryptoException(String message, boolean retryable, Throwable cause) {
    super(message, retryable, cause);
  }
}
