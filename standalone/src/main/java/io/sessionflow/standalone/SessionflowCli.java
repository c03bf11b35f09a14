package io.sessionflow.standalone;

import io.sessionflow.analyzer.AnalyzerConfig;
import io.sessionflow.common.analysis.NoteFormat;
import io.sessionflow.analyzer.Transcript;
import io.sessionflow.analyzer.TranscriptAnalyzer;
import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.config.Setting;
import io.sessionflow.common.config.SettingsHelp;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.runtime.ProcessStop;
import io.sessionflow.common.runtime.StartupException;
import io.sessionflow.ingest.IngestConfig;
import io.sessionflow.ingest.auth.AuthConfig;
import io.sessionflow.ingest.auth.LocalTokenIssuer;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.language.OnnxGate;
import io.sessionflow.purger.PurgerConfig;
import io.sessionflow.transcriber.TranscriberConfig;
import io.sessionflow.transcriber.whisper.WhisperSettings;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar sessionflow.jar [serve|token|verify-purge|verify-audit] ...}. Each sub-command prints
 * its result alone on stdout; logs go to stderr. Exit codes: 0 done, 1 could not start or run, 2 bad
 * usage, 3 a verify command found a problem.
 */
public final class SessionflowCli {
  private static final Logger LOG = LoggerFactory.getLogger(SessionflowCli.class);
  static final Setting<String> DATA_DIR = Setting.string("data-dir", "SESSIONFLOW_DATA_DIR", "sessionflow-data",
      "Directory holding everything standalone keeps (Kafka logs, objects, keys)");
  private static final Setting<String> SUBJECT = Setting.string("subject", "SESSIONFLOW_TOKEN_SUBJECT", null,
      "Subject (user id) of the token");
  private static final Setting<String> ROLE = Setting.string("role", "SESSIONFLOW_TOKEN_ROLE", "therapist",
      "Role: therapist, clinic-admin or ops");
  private static final Setting<String> PRACTICE = Setting.string("practice", "SESSIONFLOW_TOKEN_PRACTICE",
      "", "Practice id of a therapist or clinic admin (required for those roles)");
  private static final Setting<Duration> TTL = Setting.duration("ttl", "SESSIONFLOW_TOKEN_TTL", "8h",
      "How long the token is valid");

  /** Flags {@code serve} accepts: the ingest's settings plus the data dir. */
  private static final List<Setting<?>> SERVE_SETTINGS = PipelineConfig.concat(List.of(DATA_DIR,
      DataDirSpace.MIN_FREE),
      IngestConfig.SETTINGS, WhisperSettings.SETTINGS, List.of(TranscriberConfig.SLOTS,
          TranscriberConfig.MAX_ATTEMPTS), AnalyzerConfig.OWN_SETTINGS, PurgerConfig.OWN_SETTINGS);
  private static final Setting<String> TRANSCRIPT = Setting.string("transcript", "SESSIONFLOW_TRANSCRIPT", null,
      "Transcript JSON file to analyse");
  private static final Setting<String> NOTE_FORMAT = Setting.string("note-format", "SESSIONFLOW_NOTE_FORMAT", "DAP",
      "Case-note format: DAP, BIRP, GIRP or SOAP");

  private SessionflowCli() {
  }

  public static void main(String[] args) {
    int exit = run(args, System.getenv(), System.out, System.err);
    if (exit >= 0) {
      System.exit(exit);
    }
  }

  /** Runs a sub-command; returns its exit code, or -1 when {@code serve} keeps running. */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    ConfigSource.ParsedArgs parsed = ConfigSource.parseArgs(List.of(args));
    String command = parsed.positional().isEmpty() ? "serve" : parsed.positional().get(0);
    ConfigSource source = ConfigSource.of(parsed.flags(), env);
    try {
      if (parsed.flags().containsKey("help") || command.equals("help")) {
        out.print(usage());
        return 0;
      }
      if (parsed.positional().size() > 1) {
        throw new ConfigException("Unexpected argument '" + parsed.positional().get(1) + "'; see --help");
      }
      switch (command) {
        case "serve":
          return serve(source, out);
        case "token":
          return token(source, out);
        case "analyze":
          return analyze(source, out);
        case "verify-purge":
          return AuditorCommands.verifyPurge(source, out, Clock.systemUTC());
        case "verify-audit":
          return AuditorCommands.verifyAudit(source, out);
        default:
          throw new ConfigException("Unknown command '" + command
              + "'. Commands: serve, token, analyze, verify-purge, verify-audit; see --help");
      }
    } catch (ConfigException e) {
      err.println("sessionflow: " + e.getMessage());
      return 2;
    } catch (StartupException e) {
      err.println("sessionflow: " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      LOG.debug("command {} failed", command, e);
      err.println("sessionflow: " + command + " failed: " + e.getMessage()
          + " (run with SESSIONFLOW_LOG_LEVEL=DEBUG for details)");
      return 1;
    }
  }

  private static int serve(ConfigSource source, PrintStream out) {
    source.rejectUnknownFlags(SERVE_SETTINGS, List.of("help"));
    DataDir dataDir = DataDir.open(Path.of(source.get(DATA_DIR)));
    StandaloneServer server = StandaloneServer.start(dataDir, source, Clock.systemUTC());
    ProcessStop.install("sessionflow", () -> {
      LOG.info("stopping: HTTP, stages, then Kafka and object storage");
      try {
        server.close();
      } finally {
        // Whatever the close did: no model call is left in native code when the JVM's hooks run.
        OnnxGate.stopForExit(OnnxGate.EXIT_PATIENCE);
      }
      LOG.info("stopped cleanly");
    });
    out.println(server.banner());
    out.flush();
    return -1;
  }

  private static int token(ConfigSource source, PrintStream out) {
    source.rejectUnknownFlags(List.of(DATA_DIR, SUBJECT, ROLE, PRACTICE, TTL, AuthConfig.MAX_TOKEN_LIFETIME),
        List.of("help"));
    Role role = Role.fromClaim(source.get(ROLE)).orElseThrow(() -> new ConfigException(
        "Invalid setting --role: expected exactly therapist, clinic-admin or ops"));
    String subject = source.get(SUBJECT);
    String practice = role == Role.OPS ? null : source.get(PRACTICE).trim();
    if (practice != null && practice.isEmpty()) {
      throw new ConfigException("Missing setting --practice (env SESSIONFLOW_TOKEN_PRACTICE): a " + role.claim()
          + " token must name the practice its subject belongs to, e.g. --practice practice-1");
    }
    Duration ttl = source.get(TTL);
    Duration max = source.get(AuthConfig.MAX_TOKEN_LIFETIME);
    if (ttl.compareTo(max) > 0 || ttl.isNegative() || ttl.isZero()) {
      throw new ConfigException("Invalid setting --ttl: " + ttl.toMinutes() + " min is not accepted; the "
          + "instance refuses tokens valid for longer than --jwt-max-token-lifetime (env JWT_MAX_TOKEN_LIFETIME, "
          + max.toMinutes() + " min)");
    }
    DataDir dataDir = DataDir.open(Path.of(source.get(DATA_DIR)));
    LocalTokenIssuer issuer = LocalTokenIssuer.loadOrCreate(dataDir.secretsDir(), Clock.systemUTC());
    try {
      out.println(issuer.issue(subject, role, practice, ttl));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("Invalid token request: " + e.getMessage(), e);
    }
    return 0;
  }

  /** Prints the analysis of a transcript file: the same code the analyzer stage runs. */
  private static int analyze(ConfigSource source, PrintStream out) {
    source.rejectUnknownFlags(List.of(TRANSCRIPT, NOTE_FORMAT), List.of("help"));
    Path file = Path.of(source.get(TRANSCRIPT));
    NoteFormat format = NoteFormat.parse(source.get(NOTE_FORMAT)).orElseThrow(() -> new ConfigException(
        "Invalid setting --note-format: expected DAP, BIRP, GIRP or SOAP"));
    Transcript transcript;
    try {
      transcript = EventCodec.mapper().readValue(java.nio.file.Files.readAllBytes(file), Transcript.class);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new ConfigException("No transcript file at " + file);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      // The parser's own message can quote the file's text: say where, never what.
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")";
      throw new ConfigException(file + " is not transcript JSON" + where + ": expected {segments:[{id, start, end, "
          + "text, speaker?}], language, model, audioSeconds}");
    } catch (java.io.IOException e) {
      throw new ConfigException("Cannot read " + file + ": " + e.getMessage());
    }
    out.println(new TranscriptAnalyzer().analyze(transcript, format).toPrettyString());
    return 0;
  }

  static String usage() {
    return String.join(System.lineSeparator(),
        "Usage: java -jar sessionflow.jar [COMMAND] [OPTIONS]",
        "",
        "Commands:",
        "  serve   (default) run every stage with an embedded Kafka broker and S3 server",
        "          --data-dir DIR (default ./sessionflow-data)  --port 8080",
        "  token   print a bearer token the instance on --data-dir accepts",
        "          --data-dir DIR --subject ID [--role therapist|clinic-admin|ops] [--practice ID] [--ttl 8h]",
        "          (--practice is required for therapist and clinic-admin; --ttl at most 24h)",
        "  analyze --transcript FILE.json [--note-format DAP|BIRP|GIRP|SOAP]",
        "          print the analysis JSON of a transcript file (the analyzer stage's own code)",
        "  verify-purge  check that no raw audio or key is held without a live reason; exit 0 pass, 3 fail",
        "          --data-dir DIR (running or not), or --s3-endpoint URL --s3-bucket B [--s3-key-bucket K] ...",
        "          [--raw-audio-max-retention 72h] [--purge-slo 5m]",
        "  verify-audit  recompute the audit hash chain (and cross-check the Kafka copy); exit 0 intact, 3 broken",
        "          --data-dir DIR, or --s3-endpoint URL --s3-bucket B ...",
        "",
        "Settings of serve (flag, environment variable, description):",
        SettingsHelp.render(SERVE_SETTINGS));
  }
}
