package io.sessionflow.common.config;

import java.util.List;

/**
 * Where the key-encryption key (KEK) lives.
 *
 * @param kekUri {@code aws-kms://arn:aws:kms:...} in production, or the path of a local Tink
 *               keyset file (standalone generates one under its data dir)
 */
public record CryptoConfig(String kekUri) {

  public static final Setting<String> KEK_URI = Setting.string("kek-uri", "KEK_URI", null,
      "Key-encryption key: aws-kms://arn:aws:kms:REGION:ACCOUNT:key/ID, or the path of a local Tink keyset file")
      .map(CryptoConfig::validate);

  public static final List<Setting<?>> SETTINGS = List.of(KEK_URI);

  public static CryptoConfig from(ConfigSource source) {
    return new CryptoConfig(source.get(KEK_URI));
  }

  public boolean isAwsKms() {
    return kekUri.startsWith("aws-kms://");
  }

  private static String validate(String raw) {
    String value = raw.trim();
    if (value.isEmpty()) {
      throw new IllegalArgumentException("expected aws-kms://... or a keyset file path");
    }
    if (value.contains("://") && !value.startsWith("aws-kms://")) {
      throw new IllegalArgumentException("only aws-kms:// URIs or local keyset paths are supported");
    }
    return value;
  }
}
