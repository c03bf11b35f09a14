package io.sessionflow.common.config;

import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration setting: a flag name ({@code --kafka-bootstrap-servers}), the environment
 * variable that can set it, a default (null when the setting is required), a description for
 * {@code --help}, and a parser that validates the raw text.
 *
 * @param <T> the parsed type
 */
public final class Setting<T> {
  private final String flag;
  private final String env;
  private final String defaultValue;
  private final String description;
  private final boolean secret;
  private final Function<String, T> parser;

  private Setting(String flag, String env, String defaultValue, String description, boolean secret,
      Function<String, T> parser) {
    this.flag = Objects.requireNonNull(flag);
    this.env = Objects.requireNonNull(env);
    this.defaultValue = defaultValue;
    this.description = Objects.requireNonNull(description);
    this.secret = secret;
    this.parser = Objects.requireNonNull(parser);
  }

  public static Setting<String> string(String flag, String env, String defaultValue, String description) {
    return new Setting<>(flag, env, defaultValue, description, false, Function.identity());
  }

  /** A string whose value is never printed, not even in error messages. */
  public static Setting<String> secret(String flag, String env, String defaultValue, String description) {
    return new Setting<>(flag, env, defaultValue, description, true, Function.identity());
  }

  public static Setting<Integer> integer(String flag, String env, int defaultValue, int min, int max,
      String description) {
    return new Setting<>(flag, env, Integer.toString(defaultValue), description, false, raw -> {
      final int value;
      try {
        value = Integer.parseInt(raw.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a whole number", e);
      }
      if (value < min || value > max) {
        throw new IllegalArgumentException("expected a number from " + min + " to " + max);
      }
      return value;
    });
  }

  /** A port; 0 lets the operating system pick a free one. */
  public static Setting<Integer> port(String flag, String env, int defaultValue, String description) {
    return integer(flag, env, defaultValue, 0, 65_535, description);
  }

  public static Setting<Long> bytes(String flag, String env, String defaultValue, long min, long max,
      String description) {
    return new Setting<>(flag, env, defaultValue, description, false, raw -> {
      long value = ByteSize.parse(raw);
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            "expected a size from " + ByteSize.format(min) + " to " + ByteSize.format(max));
      }
      return value;
    });
  }

  public static Setting<Boolean> bool(String flag, String env, boolean defaultValue, String description) {
    return new Setting<>(flag, env, Boolean.toString(defaultValue), description, false, raw -> {
      switch (raw.trim().toLowerCase(Locale.ROOT)) {
        case "true":
        case "yes":
        case "1":
          return true;
        case "false":
        case "no":
        case "0":
          return false;
        default:
          throw new IllegalArgumentException("expected true or false");
      }
    });
  }

  /** A duration in ISO-8601 ({@code PT72H}) or the short form {@code 30s}, {@code 5m}, {@code 72h}, {@code 7d}. */
  public static Setting<Duration> duration(String flag, String env, String defaultValue, String description) {
    return new Setting<>(flag, env, defaultValue, description, false, Setting::parseDuration);
  }

  /** An absolute http(s) URI. */
  public static Setting<URI> httpUri(String flag, String env, String defaultValue, String description) {
    return new Setting<>(flag, env, defaultValue, description, false, raw -> {
      URI uri;
      try {
        uri = URI.create(raw.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("expected a URL such as http://127.0.0.1:9000", e);
      }
      if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
        throw new IllegalArgumentException("expected a URL such as http://127.0.0.1:9000");
      }
      return uri;
    });
  }

  /** Same setting with another parser, e.g. to add validation. */
  public <R> Setting<R> map(Function<T, R> next) {
    return new Setting<>(flag, env, defaultValue, description, secret, parser.andThen(next));
  }

  public Setting<T> withDefault(String newDefault) {
    return new Setting<>(flag, env, newDefault, description, secret, parser);
  }

  T parse(String raw) {
    return parser.apply(raw);
  }

  public String flag() {
    return flag;
  }

  public String env() {
    return env;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public boolean isSecret() {
    return secret;
  }

  public boolean isRequired() {
    return defaultValue == null;
  }

  static Duration parseDuration(String raw) {
    String text = raw.trim();
    try {
      if (text.startsWith("P") || text.startsWith("p")) {
        return Duration.parse(text.toUpperCase(Locale.ROOT));
      }
      if (text.length() >= 2) {
        long amount = Long.parseLong(text.substring(0, text.length() - (text.endsWith("ms") ? 2 : 1)));
        if (text.endsWith("ms")) {
          return Duration.ofMillis(amount);
        }
        switch (text.charAt(text.length() - 1)) {
          case 's':
            return Duration.ofSeconds(amount);
          case 'm':
            return Duration.ofMinutes(amount);
          case 'h':
            return Duration.ofHours(amount);
          case 'd':
            return Duration.ofDays(amount);
          default:
            break;
        }
      }
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException("expected a duration such as 30s, 5m, 72h or PT72H", e);
    }
    throw new IllegalArgumentException("expected a duration such as 30s, 5m, 72h or PT72H");
  }
}
