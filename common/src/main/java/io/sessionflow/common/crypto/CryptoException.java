package io.sessionflow.common.crypto;

import io.sessionflow.common.failure.Retryable;

/**
 * Encryption, decryption or key handling failed. An authentication failure (tampered,
 * truncated, reordered or spliced ciphertext, wrong recording) is never retryable; a KMS outage is.
 */
public final class CryptoException extends RuntimeException implements Retryable {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public CryptoException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  @Override
  public boolean retryable() {
    return retryable;
  }
}
