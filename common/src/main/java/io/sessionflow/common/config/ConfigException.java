package io.sessionflow.common.config;

/**
 * A setting is missing or has a value that cannot be used. The message is one line a person
 * can act on; it names the setting's flag and environment variable and never echoes a secret.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
