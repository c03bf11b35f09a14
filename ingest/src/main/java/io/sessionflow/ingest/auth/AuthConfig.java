package io.sessionflow.ingest.auth;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How bearer tokens are verified.
 *
 * @param jwks             an https URL of the identity provider's JWKS, or the path of a JWKS file
 *                         (never plain http: a JWKS fetched without TLS lets anyone on the path mint tokens)
 * @param issuer           the exact {@code iss} tokens must carry
 * @param audience         the {@code aud} tokens must carry
 * @param maxTokenLifetime the longest {@code exp - iat} accepted
 */
public record AuthConfig(String jwks, String issuer, String audience, Duration maxTokenLifetime) {

  public static final Duration DEFAULT_MAX_TOKEN_LIFETIME = Duration.ofHours(24);
  public static final Setting<String> JWKS = Setting.string("jwt-jwks-url", "JWT_JWKS_URL", null,
      "JWKS of the token issuer: an https URL, or a file path (standalone writes its own); http is refused");
  public static final Setting<String> ISSUER = Setting.string("jwt-issuer", "JWT_ISSUER", null,
      "Required iss claim of bearer tokens");
  public static final Setting<String> AUDIENCE = Setting.string("jwt-audience", "JWT_AUDIENCE", "sessionflow",
      "Required aud claim of bearer tokens");
  public static final Setting<Duration> MAX_TOKEN_LIFETIME = Setting.duration("jwt-max-token-lifetime",
      "JWT_MAX_TOKEN_LIFETIME", "24h", "Longest lifetime (exp - iat) of an accepted bearer token; tokens "
          + "without iat are refused").map(d -> {
            if (d.isNegative() || d.isZero()) {
              throw new IllegalArgumentException("expected a positive duration such as 24h");
            }
            return d;
          });

  public static final List<Setting<?>> SETTINGS = List.of(JWKS, ISSUER, AUDIENCE, MAX_TOKEN_LIFETIME);

  public AuthConfig {
    jwks = jwks.trim();
    int scheme = jwks.indexOf("://");
    if (scheme >= 0 && !jwks.substring(0, scheme).toLowerCase(Locale.ROOT).equals("https")) {
      throw new ConfigException("Invalid setting --jwt-jwks-url (env JWT_JWKS_URL): only an https URL or a file "
          + "path is accepted, not " + jwks.substring(0, scheme) + "://");
    }
  }

  /** With the default maximum token lifetime. */
  public AuthConfig(String jwks, String issuer, String audience) {
    this(jwks, issuer, audience, DEFAULT_MAX_TOKEN_LIFETIME);
  }

  public static AuthConfig from(ConfigSource source) {
    return new AuthConfig(source.get(JWKS).trim(), source.get(ISSUER).trim(), source.get(AUDIENCE).trim(),
        source.get(MAX_TOKEN_LIFETIME));
  }

  public boolean isRemote() {
    return jwks.regionMatches(true, 0, "https://", 0, 8);
  }
}
