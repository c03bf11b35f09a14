package io.sessionflow.language.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the labelled sets of the labelling guide ({@code language/data/GUIDE.md}): session blocks
 * ({@code === session id style=... setting=...}, then {@code speaker TAB label TAB text} lines and
 * {@code #plan TAB kind TAB lines}) and bulk files ({@code label TAB previous turn TAB utterance}).
 * A line that does not follow the guide is an error naming its file and line.
 */
public final class LabelledSets {
  private static final Pattern HEADER = Pattern.compile("^=== session (\\S+)(.*)$");
  private static final Pattern ATTRIBUTE = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)");

  private LabelledSets() {
  }

  /** One utterance with the turn before it. */
  public record Utterance(String speaker, Label label, LabelledText text, String previousSpeaker,
      LabelledText previous) {
    /** The clinician ({@code T}) or a client ({@code C}, {@code C2}). */
    public boolean clinician() {
      return "T".equals(speaker);
    }
  }

  /** One session: its utterances in order and what was agreed ({@code #plan}: kind to line numbers, from 1). */
  public record Session(String id, String style, String setting, List<Utterance> utterances,
      Map<String, List<Integer>> plan) {
    public boolean asr() {
      return "asr".equals(style);
    }
  }

  public static List<Session> sessions(Path file) {
    List<Session> sessions = new ArrayList<>();
    List<String> lines = read(file);
    String id = null;
    Map<String, String> attributes = Map.of();
    List<Utterance> utterances = new ArrayList<>();
    Map<String, List<Integer>> plan = new LinkedHashMap<>();
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      String where = file.getFileName() + ":" + (n + 1);
      if (line.isBlank()) {
        continue;
      }
      Matcher header = HEADER.matcher(line);
      if (header.matches()) {
        if (id != null) {
          sessions.add(new Session(id, attributes.getOrDefault("style", "cased"), attributes.get("setting"),
              utterances, plan));
        }
        id = header.group(1);
        attributes = attributes(header.group(2));
        utterances = new ArrayList<>();
        plan = new LinkedHashMap<>();
        continue;
      }
      if (id == null) {
        throw new IllegalArgumentException(where + ": text before the first session header");
      }
      String[] f = line.split("\t", -1);
      try {
        if (f[0].equals("#plan")) {
          List<Integer> at = new ArrayList<>();
          for (String number : f[2].split(",")) {
            if (!number.isBlank()) {
              at.add(Integer.parseInt(number.trim()));
            }
          }
          plan.put(f[1].trim(), at);
          continue;
        }
        if (f.length != 3 || !f[0].matches("T|C|C2")) {
          throw new IllegalArgumentException("expected speaker, label and text separated by tabs");
        }
        Utterance previous = utterances.isEmpty() ? null : utterances.get(utterances.size() - 1);
        utterances.add(new Utterance(f[0], Label.parse(f[1]), LabelledText.parse(f[2].trim()),
            previous == null ? null : previous.speaker(), previous == null ? null : previous.text()));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
    if (id != null) {
      sessions.add(new Session(id, attributes.getOrDefault("style", "cased"), attributes.get("setting"), utterances,
          plan));
    }
    return sessions;
  }

  /**
   * A bulk file: {@code label TAB previous turn TAB utterance}; the previous turn is {@code T: ...},
   * {@code C: ...} or empty. Clinician codes are clinician lines, everything else a client's.
   */
  public static List<Utterance> bulk(Path file) {
    List<Utterance> out = new ArrayList<>();
    List<String> lines = read(file);
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", -1);
      try {
        if (f.length != 3) {
          throw new IllegalArgumentException("expected label, previous turn and utterance separated by tabs");
        }
        Label label = Label.parse(f[0]);
        String before = f[1].trim();
        String previousSpeaker = null;
        LabelledText previous = null;
        if (!before.isEmpty()) {
          int colon = before.indexOf(':');
          previousSpeaker = colon > 0 ? before.substring(0, colon).trim() : null;
          previous = LabelledText.parse(colon > 0 ? before.substring(colon + 1).trim() : before);
        }
        out.add(new Utterance(label.isCode() ? "T" : "C", label, LabelledText.parse(f[2].trim()), previousSpeaker,
            previous));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(file.getFileName() + ":" + (n + 1) + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static Map<String, String> attributes(String rest) {
    Map<String, String> attributes = new LinkedHashMap<>();
    Matcher m = ATTRIBUTE.matcher(rest);
    while (m.find()) {
      String value = m.group(2);
      attributes.put(m.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
    }
    return attributes;
  }

  private static List<String> read(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
