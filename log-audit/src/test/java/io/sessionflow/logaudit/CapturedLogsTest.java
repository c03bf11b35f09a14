package io.sessionflow.logaudit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After the whole suite ran, every log line it captured (each test JVM's output, kept by
 * surefire and failsafe, and every standalone process's stdout and stderr) is searched for the
 * fixture data the tests used: client pseudonyms, audio file names and transcript text. The
 * fixtures are collected from the tests' own sources, so a new test's data is covered too.
 */
class CapturedLogsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** Quoted client pseudonyms, file names of audio and transcript texts in the tests' sources. */
  private static final List<Pattern> FIXTURES = List.of(
      Pattern.compile("\\\\\"clientRef\\\\\":\\\\\"([^\\\\\"]{6,})\\\\\""),
      Pattern.compile("\"(client-[a-z0-9-]{3,})\""),
      Pattern.compile("[\",/]([A-Za-z0-9_-]{4,}\\.(?:wav|mp3|m4a|ogg|flac|opus))[\",]"),
      Pattern.compile("\\\\\"text\\\\\":\\\\\"([^\\\\\"]{12,})\\\\\""));

  @Test
  void noLogLineOfTheWholeSuiteHoldsAFixtureClientRefFileNameOrTranscriptText() throws IOException {
    List<Path> logs = capturedLogs(ROOT);
    Assumptions.assumeFalse(logs.isEmpty(), "no captured logs: run the whole suite (./mvnw verify) first");
    Set<String> fixtures = fixtures(ROOT);
    assertThat(fixtures).as("fixtures found in the tests' sources").hasSizeGreaterThan(20);

    List<String> hits = search(ROOT, logs, fixtures);

    System.out.println("log audit: " + logs.size() + " captured logs, " + fixtures.size() + " fixtures, "
        + hits.size() + " hits");
    assertThat(hits).as("fixture data in captured log lines").isEmpty();
  }

  @Test
  void theSearchFindsAFixtureInALogLineAndNamesWhere(@TempDir Path dir) throws IOException {
    Path source = dir.resolve("x/src/test/java/FakeIT.java");
    Files.createDirectories(source.getParent());
    Files.writeString(source, "api.consent(token, \"client-canary-7\"); upload(\"2025/intake-anna.wav\");\n"
        + "String t = \"{\\\"text\\\":\\\"I have not slept for days\\\"}\";\n");
    Path log = dir.resolve("x/target/failsafe-reports/FakeIT-output.txt");
    Files.createDirectories(log.getParent());
    Files.writeString(log, "10:00:00 INFO ok\n10:00:01 WARN upload intake-anna.wav failed\n");

    Set<String> fixtures = fixtures(dir);
    assertThat(fixtures).contains("client-canary-7", "intake-anna.wav", "I have not slept for days");
    assertThat(search(dir, capturedLogs(dir), fixtures)).containsExactly(
        "x/target/failsafe-reports/FakeIT-output.txt:2 holds 'intake-anna.wav'");
  }

  static List<Path> capturedLogs(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).filter(f -> {
        String path = relative(root, f);
        return path.matches("[^/]+/target/(surefire|failsafe)-reports/.*-output\\.txt")
            || path.matches("[^/]+/target/standalone-logs/.*\\.log");
      }).sorted().toList();
    }
  }

  static Set<String> fixtures(Path root) throws IOException {
    Set<String> found = new TreeSet<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> relative(root, f).matches("[^/]+/src/test/java/.*")).toList()) {
        String source = Files.readString(file, StandardCharsets.UTF_8);
        for (Pattern pattern : FIXTURES) {
          Matcher m = pattern.matcher(source);
          while (m.find()) {
            found.add(m.group(1));
          }
        }
      }
    }
    return found;
  }

  static List<String> search(Path root, List<Path> logs, Set<String> fixtures) throws IOException {
    List<String> hits = new ArrayList<>();
    for (Path log : logs) {
      List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
      for (int i = 0; i < lines.size(); i++) {
        String line = new String(lines.get(i).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        for (String fixture : fixtures) {
          if (line.contains(fixture)) {
            hits.add(relative(root, log) + ":" + (i + 1) + " holds '" + fixture + "'");
          }
        }
      }
    }
    return hits;
  }

  private static String relative(Path root, Path file) {
    return root.relativize(file).toString().replace('\\', '/');
  }
}
