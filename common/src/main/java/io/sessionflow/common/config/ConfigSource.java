package io.sessionflow.common.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where setting values come from: command-line flags first, then environment variables, then
 * the setting's default. Built once at start-up; every read validates, and the first bad value
 * becomes a {@link ConfigException} naming the flag and the variable.
 */
public final class ConfigSource {
  private final Map<String, String> flags;
  private final Map<String, String> env;
  private final Map<String, String> defaults;

  private ConfigSource(Map<String, String> flags, Map<String, String> env, Map<String, String> defaults) {
    this.flags = flags;
    this.env = env;
    this.defaults = defaults;
  }

  public static ConfigSource of(Map<String, String> flags, Map<String, String> env) {
    return new ConfigSource(Map.copyOf(flags), Map.copyOf(env), Map.of());
  }

  /** Environment variables only: how a production stage image is configured. */
  public static ConfigSource fromEnvironment() {
    return of(Map.of(), System.getenv());
  }

  /**
   * Parses {@code --name value} and {@code --name=value} pairs; a flag with no value (followed by
   * another flag or the end) means {@code true}. Anything that is not a flag is kept in order
   * in the returned list as a positional argument.
   */
  public static ParsedArgs parseArgs(List<String> args) {
    Map<String, String> flags = new LinkedHashMap<>();
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        positional.add(arg);
        continue;
      }
      String body = arg.substring(2);
      int eq = body.indexOf('=');
      if (eq >= 0) {
        flags.put(body.substring(0, eq), body.substring(eq + 1));
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        flags.put(body, args.get(++i));
      } else {
        flags.put(body, "true");
      }
    }
    return new ParsedArgs(Collections.unmodifiableMap(flags), List.copyOf(positional));
  }

  /** Same sources, with other defaults for some settings (e.g. standalone's embedded endpoints). */
  public ConfigSource withDefaults(Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(defaults);
    merged.putAll(overrides);
    return new ConfigSource(flags, env, Map.copyOf(merged));
  }

  /** Same sources with flag values forced, e.g. a port the process decided itself. */
  public ConfigSource withFlags(Map<String, String> forced) {
    Map<String, String> merged = new HashMap<>(flags);
    merged.putAll(forced);
    return new ConfigSource(Map.copyOf(merged), env, defaults);
  }

  public <T> T get(Setting<T> setting) {
    String origin;
    String raw;
    if (flags.containsKey(setting.flag())) {
      raw = flags.get(setting.flag());
      origin = "--" + setting.flag();
    } else if (env.containsKey(setting.env()) && !env.get(setting.env()).isBlank()) {
      raw = env.get(setting.env());
      origin = setting.env();
    } else if (defaults.containsKey(setting.flag())) {
      raw = defaults.get(setting.flag());
      origin = "default";
    } else if (setting.defaultValue() != null) {
      raw = setting.defaultValue();
      origin = "default";
    } else {
      throw new ConfigException("Missing setting --" + setting.flag() + " (env " + setting.env() + "): "
          + setting.description());
    }
    try {
      return setting.parse(raw);
    } catch (IllegalArgumentException e) {
      // A parser's message may quote its input: for a secret, say nothing of it at all.
      String shown = setting.isSecret() ? "(hidden)" : "'" + raw + "'";
      String why = setting.isSecret() ? "not a valid value" : e.getMessage();
      throw new ConfigException("Invalid setting --" + setting.flag() + " (env " + setting.env() + ") = "
          + shown + " from " + origin + ": " + why, setting.isSecret() ? null : e);
    }
  }

  /** Flags given on the command line that no known setting claims: a typo should not pass silently. */
  public void rejectUnknownFlags(List<Setting<?>> known, List<String> alsoAllowed) {
    for (String flag : flags.keySet()) {
      boolean isKnown = alsoAllowed.contains(flag) || known.stream().anyMatch(s -> s.flag().equals(flag));
      if (!isKnown) {
        throw new ConfigException("Unknown option --" + flag + "; run with --help to list the settings");
      }
    }
  }

  /** Positional arguments and flags from a command line. */
  public record ParsedArgs(Map<String, String> flags, List<String> positional) {
  }
}
