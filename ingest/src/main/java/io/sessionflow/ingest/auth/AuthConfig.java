package io.sessionflow.ingest.auth;

import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import java.util.List;

/**
 * How bearer tokens are verified.
 *
 * @param jwks     an https URL of the identity provider's JWKS, or the path of a JWKS file
 * @param issuer   the exact {@code iss} tokens must carry
 * @param audience the {@code aud} tokens must carry
 */
public record AuthConfig(String jwks, String issuer, String audience) {

  public static final Setting<String> JWKS = Setting.string("jwt-jwks-url", "JWT_JWKS_URL", null,
      "JWKS of the token issuer: https URL, or a file path (standalone writes its own)");
  public static final Setting<String> ISSUER = Setting.string("jwt-issuer", "JWT_ISSUER", null,
      "Required iss claim of bearer tokens");
  public static final Setting<String> AUDIENCE = Setting.string("jwt-audience", "JWT_AUDIENCE", "sessionflow",
      "Required aud claim of bearer tokens");

  public static final List<Setting<?>> SETTINGS = List.of(JWKS, ISSUER, AUDIENCE);

  public static AuthConfig from(ConfigSource source) {
    return new AuthConfig(source.get(JWKS).trim(), source.get(ISSUER).trim(), source.get(AUDIENCE).trim());
  }

  public boolean isRemote() {
    return jwks.startsWith("https://") || jwks.startsWith("http://");
  }
}
