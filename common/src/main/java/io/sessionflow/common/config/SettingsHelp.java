package io.sessionflow.common.config;

import java.util.List;

/** Renders settings as the table printed by {@code --help} and kept in the README. */
public final class SettingsHelp {
  private SettingsHelp() {
  }

  public static String render(List<Setting<?>> settings) {
    StringBuilder out = new StringBuilder();
    for (Setting<?> s : settings) {
      out.append(String.format("  --%-28s %-28s %s%n", s.flag(), s.env(), s.description()));
      String shownDefault = s.isRequired() ? "required" : s.isSecret() ? "(hidden)" : s.defaultValue();
      out.append(String.format("  %-59s default: %s%n", "", shownDefault.isEmpty() ? "(empty)" : shownDefault));
    }
    return out.toString();
  }
}
