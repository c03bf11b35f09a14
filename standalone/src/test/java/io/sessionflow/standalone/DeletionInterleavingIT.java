package io.sessionflow.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sessionflow.common.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Utils;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A deletion request of every scope (recording, consent, client, therapist) at every moment of a
 * recording's life (mid-upload, queued, mid-transcription of one window and of several, between
 * transcript and analysis, after analysis, after the audio purge), with the instance kept running
 * and with it stopped (SIGTERM) 3 s after the DELETE and restarted on its data dir: within 2
 * minutes of the DELETE (of running time: the stop and restart themselves are not counted) nothing
 * of the recording is left in object storage but its tombstone,
 * its sweep marker and what is under {@code audit/}; its status says DELETED and its transcript and
 * analysis are not served; both auditor commands pass; and no other recording was touched.
 *
 * <p>The cases run side by side, one instance per column. The moments are made rather than hoped
 * for: the transcriber has 8 slots (9 records in flight) and each topic 16 partitions, and since a
 * partition's records are handled one after another, every recording that must be transcribed at
 * the same time as others gets a partition of its own. Its id, known from the tus creation before
 * a byte is sent, says which; one that lands on a taken partition plays a moment that needs none.
 * The moments between transcript and analysis last milliseconds: the test deletes as soon as it
 * sees them, prints which moment each case really hit, and never fails for a missed one.
 *
 * <p>The instances transcribe in English ({@code --whisper-language en}) rather than detecting the
 * language: detection is one more encoder pass per window, about half of a window's CPU with the
 * tiny-shaped stand-in model, and the matrix is CPU-bound on two cores. A window still takes
 * several times as long as the few requests between a recording being claimed and its DELETE (8
 * windows share the cores), so the mid-transcription moments are still made.
 */
class DeletionInterleavingIT {
  private static final int SLOTS = 8;
  private static final int PARTITIONS = 16;
  private static final Duration PROMISE = Duration.ofMinutes(2);
  private static final Duration RESTART_AFTER = Duration.ofSeconds(3);
  private static final String KEEPER_THERAPIST = "ther-keeper";
  /** Declared length of a mid-upload case: 12 MB, of which more than one 8 MiB part is sent. */
  private static final int MID_UPLOAD_SECONDS = 375;
  private static final int MID_UPLOAD_SENT = 9_500_000;
  private static final int SHORT_SECONDS = 5;
  private static final int LONG_KEEPER_SECONDS = 40;
  /**
   * Two windows (30 s and 15 s): a DELETE while the first is transcribed lands in a job of several
   * windows with one still to come. Each window costs a full encoder pass whatever its length, and
   * the transcriber only looks for a deletion once the job is done, so a third window would add CPU
   * (on the restart column's critical path, where the restarted instance does the job over) and prove
   * nothing more.
   */
  private static final int MULTI_WINDOW_SECONDS = 45;

  @TempDir
  Path work;

  @Test
  void aDeletionOfAnyScopeAtAnyMomentLeavesOnlyTombstoneAndReceiptsWithinTwoMinutes() throws Exception {
    long started = System.nanoTime();
    ExecutorService columns = Executors.newFixedThreadPool(2);
    List<Report> reports = new ArrayList<>();
    // The restart column's SIGTERM lands while 8 windows are being transcribed, and the stop waits
    // for them; so that it does not wait for the other column's too, the kept column makes its
    // phase one once that restart is over.
    CountDownLatch restartedAfterPhaseOne = new CountDownLatch(1);
    try {
      Future<Report> kept = columns.submit(() -> new Column("kept", false, work.resolve("kept"),
          restartedAfterPhaseOne).run());
      Future<Report> restarted = columns.submit(() -> new Column("restart", true, work.resolve("restart"),
          restartedAfterPhaseOne).run());
      reports.add(result(kept));
      reports.add(result(restarted));
    } finally {
      columns.shutdownNow();
    }
    List<String> failures = new ArrayList<>();
    for (Report report : reports) {
      System.out.println("deletion matrix, instance " + report.column() + ":");
      report.lines().forEach(line -> System.out.println("  " + line));
      failures.addAll(report.failures());
    }
    System.out.printf("deletion matrix: %d case(s) failed, %.0f s in all%n", failures.size(),
        (System.nanoTime() - started) / 1e9);
    assertThat(failures).as("deletions that left something behind or touched something else:%n%s",
        String.join("\n", failures)).isEmpty();
  }

  private static Report result(Future<Report> column) throws Exception {
    try {
      return column.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  record Report(String column, List<String> lines, List<String> failures) {
  }

  enum Scope { RECORDING, CONSENT, CLIENT, THERAPIST }

  /** The moments, in the order a recording passes them; {@code group} 1 and 2 are transcribed side by side. */
  enum Moment {
    MID_UPLOAD("a", "mid-upload", 0, 0, MID_UPLOAD_SECONDS),
    QUEUED("b", "queued behind other jobs", 1, 0, 12),
    ONE_WINDOW("c", "mid-transcription, one window", 2, 1, 20),
    MULTI_WINDOW("d", "mid-transcription, several windows", 2, 1, MULTI_WINDOW_SECONDS),
    TRANSCRIBED("e", "between transcript and analysis", 3, 2, SHORT_SECONDS),
    ANALYZED("f", "after analysis", 4, 2, SHORT_SECONDS),
    PURGED("g", "after audio purge", 5, 0, SHORT_SECONDS);

    final String letter;
    final String description;
    final int progress;
    final int group;
    final int seconds;

    Moment(String letter, String description, int progress, int group, int seconds) {
      this.letter = letter;
      this.description = description;
      this.progress = progress;
      this.group = group;
      this.seconds = seconds;
    }
  }

  /** Who recorded it: the therapist (and their token), the consent and the client pseudonym. */
  record Owner(String therapistId, String token, String consentId, String clientRef) {
  }

  /** One tus upload of generated audio. */
  static class Recording {
    final String label;
    final Owner owner;
    final String id;
    final int seconds;
    volatile long claimedAt;

    Recording(String label, Owner owner, String id, int seconds) {
      this.label = label;
      this.owner = owner;
      this.id = id;
      this.seconds = seconds;
    }
  }

  /** One cell of the matrix: a recording deleted by {@code scope} at (ideally) {@code planned}. */
  static final class Case extends Recording {
    final Scope scope;
    Moment planned;
    volatile long deletedAt;
    /** How long the instance was down (stopping and starting again) after this case's DELETE. */
    volatile long downtimeNanos;
    volatile Moment hitMoment;
    volatile String hit = "never deleted";
    volatile String deleteProblem;
    volatile String multipartId;
    volatile String requestId;
    volatile String diagnosis;
    volatile Long stoppedAfterMillis;
    volatile Boolean passed;
    volatile long cleanAfterMillis = -1;
    volatile List<String> problems = List.of("never checked");
    volatile List<String> finalProblems = List.of();

    Case(Scope scope, Owner owner, String id, int seconds) {
      super(scope.name().toLowerCase(Locale.ROOT), owner, id, seconds);
      this.scope = scope;
    }
  }

  record Observation(Moment moment, String text) {
  }

  /** One instance and every case of one column of the matrix. */
  static final class Column {
    private final String name;
    private final boolean restart;
    private final Path dataDir;
    private final Path objects;
    private final Path logs;
    private final int port;
    private final StandaloneClient api;
    private final ExecutorService pool = Executors.newFixedThreadPool(12);
    private final String practice;
    private final List<Case> cases = new ArrayList<>();
    private final List<Recording> keepers = new ArrayList<>();
    private final Set<Integer> groupOne = new HashSet<>();
    private final Set<Integer> groupTwo = new HashSet<>();
    private final List<String> lines = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final long started = System.nanoTime();
    private final CountDownLatch restartedAfterPhaseOne;
    private StandaloneProcess process;
    private String admin;
    private String keepToken;
    private String keepClient;
    private String keepConsent;
    private Recording longKeeper;
    private int owners;

    Column(String name, boolean restart, Path dir, CountDownLatch restartedAfterPhaseOne) {
      this.name = name;
      this.restartedAfterPhaseOne = restartedAfterPhaseOne;
      this.restart = restart;
      this.dataDir = dir.resolve("data");
      this.objects = dataDir.resolve("objects");
      this.logs = dir.resolve("logs");
      this.port = FreePorts.find();
      this.api = new StandaloneClient(port, dataDir, logs);
      this.practice = "practice-" + name;
    }

    Report run() throws Exception {
      try {
        start();
        setUp();
        if (!restart) {
          await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(200))
              .until(() -> restartedAfterPhaseOne.getCount() == 0);
        }
        phaseOne();
        phaseTwo();
        finish();
        int exit = process.terminate(Duration.ofMinutes(2));
        if (exit != 0 && exit != 143) {
          failures.add("[" + name + "] the instance stopped with exit code " + exit);
        }
      } finally {
        restartedAfterPhaseOne.countDown();
        if (process != null) {
          process.close();
        }
        pool.shutdownNow();
      }
      for (Case c : cases) {
        lines.add(line(c));
        if (!Boolean.TRUE.equals(c.passed) || !c.finalProblems.isEmpty()) {
          failures.add(line(c));
        }
      }
      progress("done");
      return new Report(name, lines, failures);
    }

    private void start() {
      process = StandaloneProcess.start(logs, "--data-dir", dataDir.toString(), "--port", Integer.toString(port),
          "--transcriber-slots", Integer.toString(SLOTS), "--whisper-threads", "1", "--whisper-language", "en",
          "--kafka-partitions", Integer.toString(PARTITIONS));
      process.awaitReady(port, Duration.ofMinutes(3));
    }

    // ---- set-up ---------------------------------------------------------------------------------

    /**
     * Keepers, which no request covers: a long one transcribed while phase one's deletions land
     * (and, in the restart column, across the restart), one under the consent the recording-scope
     * cases share and with the client of the consent-scope cases, one of another client of the same
     * therapist. Then the cases, and the ones deleted after their audio was purged made ready.
     */
    private void setUp() {
      admin = api.tokenSignedHere("admin-" + name, "clinic-admin", practice);
      keepToken = api.tokenSignedHere(KEEPER_THERAPIST, "therapist", practice);
      keepClient = "keep-a-" + name;
      keepConsent = api.consentPatiently(keepToken, keepClient);
      Owner keeper = new Owner(KEEPER_THERAPIST, keepToken, keepConsent, keepClient);
      String otherClient = "keep-b-" + name;
      Owner other = new Owner(KEEPER_THERAPIST, keepToken, api.consentPatiently(keepToken, otherClient), otherClient);
      longKeeper = new Recording("long keeper", keeper, api.tusCreate(keepToken, keepConsent,
          wavLength(LONG_KEEPER_SECONDS)), LONG_KEEPER_SECONDS);
      groupOne.add(partition(longKeeper.id));
      keepers.add(longKeeper);
      keepers.add(new Recording("keeper beside the cases", keeper, api.tusCreate(keepToken, keepConsent,
          wavLength(SHORT_SECONDS)), SHORT_SECONDS));
      keepers.add(new Recording("keeper of another client", other, api.tusCreate(keepToken, other.consentId(),
          wavLength(SHORT_SECONDS)), SHORT_SECONDS));
      for (Scope scope : Scope.values()) {
        plan(scope);
      }
      List<Recording> ready = new ArrayList<>(cases(Moment.PURGED));
      ready.addAll(keepers.subList(1, keepers.size()));
      parallel(ready, this::sendAll);
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(250)).until(() -> ready.stream()
          .allMatch(r -> analyzedAndPurged(status(r))));
      awaitIdle();
      progress("set up: " + cases.size() + " cases, " + keepers.size() + " keepers");
    }

    /**
     * The cases of one scope. A case needing a partition of its own in its group that lands on a
     * taken one becomes a case that needs none (queued, or after purge when its audio is short), or
     * else one more mid-upload case, so that no upload is left unused. An after-purge case is
     * transcribed during the set-up, which waits for the longest of them: one of several windows
     * would hold it up for nothing, so it only takes over a short recording.
     */
    private void plan(Scope scope) {
      Map<Moment, Case> planned = new EnumMap<>(Moment.class);
      planned.put(Moment.MID_UPLOAD, upload(scope, Moment.MID_UPLOAD.seconds));
      for (Moment moment : List.of(Moment.ONE_WINDOW, Moment.MULTI_WINDOW, Moment.TRANSCRIBED, Moment.ANALYZED)) {
        Set<Integer> group = moment.group == 1 ? groupOne : groupTwo;
        while (!planned.containsKey(moment)) {
          Case c = upload(scope, moment.seconds);
          if (group.add(partition(c.id))) {
            planned.put(moment, c);
          } else if (!planned.containsKey(Moment.QUEUED)) {
            planned.put(Moment.QUEUED, c);
          } else if (!planned.containsKey(Moment.PURGED) && c.seconds <= Moment.PURGED.seconds) {
            planned.put(Moment.PURGED, c);
          } else {
            c.planned = Moment.MID_UPLOAD;
            cases.add(c);
          }
        }
      }
      for (Moment moment : List.of(Moment.QUEUED, Moment.PURGED)) {
        planned.computeIfAbsent(moment, m -> upload(scope, m.seconds));
      }
      planned.forEach((moment, c) -> {
        c.planned = moment;
        cases.add(c);
      });
    }

    private Case upload(Scope scope, int seconds) {
      Owner owner = owner(scope);
      return new Case(scope, owner, api.tusCreate(owner.token(), owner.consentId(), wavLength(seconds)), seconds);
    }

    /** A recording-scope case shares the keepers' consent; the others each get what their request targets. */
    private Owner owner(Scope scope) {
      int n = ++owners;
      return switch (scope) {
        case RECORDING -> new Owner(KEEPER_THERAPIST, keepToken, keepConsent, keepClient);
        case CONSENT -> new Owner(KEEPER_THERAPIST, keepToken, api.consentPatiently(keepToken, keepClient), keepClient);
        case CLIENT -> {
          String ref = "cl-" + name + "-" + n;
          yield new Owner(KEEPER_THERAPIST, keepToken, api.consentPatiently(keepToken, ref), ref);
        }
        case THERAPIST -> {
          String therapist = "ther-" + name + "-" + n;
          String token = api.tokenSignedHere(therapist, "therapist", practice);
          String ref = "tc-" + name + "-" + n;
          yield new Owner(therapist, token, api.consentPatiently(token, ref), ref);
        }
      };
    }

    // ---- phase one: mid-upload, queued, mid-transcription, after purge, all at one instant --------

    private void phaseOne() throws InterruptedException {
      parallel(cases(Moment.MID_UPLOAD), this::sendPart);
      List<Case> multi = cases(Moment.MULTI_WINDOW);
      parallel(multi, this::sendAll);
      awaitClaimed(multi);
      List<Recording> single = new ArrayList<>(cases(Moment.ONE_WINDOW));
      single.add(longKeeper);
      parallel(single, this::sendAll);
      awaitClaimed(single);
      // Every record the transcriber takes at once is in flight: these wait.
      List<Case> queued = cases(Moment.QUEUED);
      parallel(queued, this::sendAll);
      await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).until(() -> queued.stream()
          .map(this::status).allMatch(status -> status != null && !"RECEIVING".equals(status.getString("status"))));
      List<Case> now = cases(Moment.MID_UPLOAD, Moment.QUEUED, Moment.ONE_WINDOW, Moment.MULTI_WINDOW,
          Moment.PURGED);
      parallel(now, c -> delete(c, observe(c, status(c))));
      progress("phase one: " + now.size() + " deletions sent");
      restartIfAsked(now);
      if (restart) {
        restartedAfterPhaseOne.countDown();
      }
      awaitGone(now);
      progress("phase one checked");
    }

    // ---- phase two: the moments that last milliseconds ----------------------------------------

    private void phaseTwo() throws InterruptedException {
      awaitIdle();
      List<Case> racing = cases(Moment.TRANSCRIBED, Moment.ANALYZED);
      parallel(racing, c -> {
        sendAll(c);
        deleteOnceReached(c);
      });
      progress("phase two: " + racing.size() + " deletions sent");
      restartIfAsked(racing);
      awaitGone(racing);
      progress("phase two checked");
    }

    /**
     * Polls the transcript's file (cheap, local) and, once it is there, the status as fast as the
     * API answers; deletes at the first sight of the moment, or of any later one.
     */
    private void deleteOnceReached(Case c) {
      Path transcript = file("transcripts/" + c.id + ".json");
      Set<String> reached = c.planned == Moment.TRANSCRIBED ? Set.of("TRANSCRIBED", "ANALYZED", "FAILED", "DELETED")
          : Set.of("ANALYZED", "FAILED", "DELETED");
      AtomicReference<JsonObject> seen = new AtomicReference<>();
      int[] polls = {0};
      try {
        await().atMost(Duration.ofMinutes(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
            .until(() -> {
              // Now and then before the transcript, too, so that a failure is noticed.
              if (!Files.exists(transcript) && polls[0]++ % 100 != 0) {
                return false;
              }
              JsonObject status = status(c);
              seen.set(status);
              return status != null && reached.contains(status.getString("status"));
            });
      } catch (ConditionTimeoutException e) {
        seen.set(new JsonObject().put("status", "(gave up waiting after 5 min)"));
      }
      delete(c, observe(c, seen.get()));
    }

    // ---- deleting -------------------------------------------------------------------------------

    private void delete(Case c, Observation before) {
      HttpResponse<String> answer = switch (c.scope) {
        case RECORDING -> api.request("DELETE", "/v1/recordings/" + c.id, c.owner.token(), Map.of(), null);
        case CONSENT -> api.request("DELETE", "/v1/consents/" + c.owner.consentId(), c.owner.token(), Map.of(),
            null);
        case CLIENT -> api.request("DELETE", "/v1/clients/" + c.owner.clientRef(), admin, Map.of(), null);
        case THERAPIST -> api.request("DELETE", "/v1/therapists/" + c.owner.therapistId(), admin, Map.of(), null);
      };
      c.deletedAt = System.nanoTime();
      c.requestId = field(answer, "requestId");
      int expected = c.scope == Scope.CONSENT ? 204 : 202;
      if (answer.statusCode() != expected) {
        c.deleteProblem = "the DELETE answered " + answer.statusCode() + " (expected " + expected + "): "
            + abbreviate(answer.body());
      }
      // What a stage finished while the request was on its way (the purge only removes files).
      Observation after = observe(c, null);
      c.hitMoment = before.moment();
      c.hit = before.text() + (after.moment().progress > before.moment().progress && before.moment()
          != Moment.MID_UPLOAD ? "; by the time the DELETE was answered: " + after.text() : "");
    }

    /** Which moment the recording is at, from its objects (and the status, when given). */
    private Observation observe(Case c, JsonObject status) {
      String said = status == null ? "" : " (status " + status.getString("status") + ", audio "
          + status.getString("audio") + ")";
      Path state = file("uploads/" + c.id + "/state.json");
      if (Files.exists(state)) {
        try {
          JsonObject upload = new JsonObject(Files.readString(state, StandardCharsets.UTF_8));
          if (!upload.getBoolean("complete", false)) {
            c.multipartId = upload.getString("multipartUploadId");
            return new Observation(Moment.MID_UPLOAD, "mid-upload: " + upload.getLong("offset") + " of "
                + upload.getLong("length") + " bytes received, " + upload.getJsonArray("parts").size()
                + " part(s) stored" + said);
          }
        } catch (IOException | RuntimeException e) {
          // Read while it was replaced or deleted: the objects below tell the rest.
        }
      }
      boolean claimed = exists("transcripts/" + c.id + ".job");
      boolean transcript = exists("transcripts/" + c.id + ".json");
      boolean analysis = exists("analyses/" + c.id + ".json");
      boolean audio = exists("keys/" + c.id + ".audio.dek");
      if (!transcript && !claimed) {
        return new Observation(Moment.QUEUED, "queued: stored, not claimed by the transcriber" + said);
      }
      if (!transcript) {
        String since = c.claimedAt == 0 ? "" : String.format(Locale.ROOT, " %.1f s before the DELETE",
            (System.nanoTime() - c.claimedAt) / 1e9);
        return new Observation(c.seconds > 30 ? Moment.MULTI_WINDOW : Moment.ONE_WINDOW, "mid-transcription: "
            + "claimed" + since + ", " + c.seconds + " s of audio" + said);
      }
      if (!analysis) {
        return new Observation(Moment.TRANSCRIBED, "transcript stored, no analysis yet, audio "
            + (audio ? "present" : "purged") + said);
      }
      return audio ? new Observation(Moment.ANALYZED, "analysed, audio not purged yet" + said)
          : new Observation(Moment.PURGED, "analysed and audio purged" + said);
    }

    /** The instance is stopped 3 s after the last of these DELETEs and started again on the same data dir. */
    private void restartIfAsked(List<Case> deleted) throws InterruptedException {
      if (!restart) {
        return;
      }
      long last = deleted.stream().mapToLong(c -> c.deletedAt).max().orElseThrow();
      waitDeliberately(Duration.ofNanos(last + RESTART_AFTER.toNanos() - System.nanoTime()));
      long stopping = System.nanoTime();
      deleted.forEach(c -> c.stoppedAfterMillis = (stopping - c.deletedAt) / 1_000_000);
      int exit = process.terminate(Duration.ofMinutes(2));
      process.close();
      if (exit != 0 && exit != 143) {
        failures.add("[" + name + "] SIGTERM: the instance stopped with exit code " + exit);
      }
      progress(String.format(Locale.ROOT, "stopped (exit %d) in %.1f s, restarting", exit,
          (System.nanoTime() - stopping) / 1e9));
      start();
      long down = System.nanoTime() - stopping;
      // The promise is about the pipeline's running time: a stop and start on a busy machine is not its to spend.
      deleted.forEach(c -> c.downtimeNanos = down);
      progress("restarted");
    }

    // ---- checking -------------------------------------------------------------------------------

    /** Each case is decided once clean, or when 2 minutes have passed since its DELETE. */
    private void awaitGone(List<Case> deleted) {
      long deadline = deleted.stream().mapToLong(c -> c.deletedAt + c.downtimeNanos).max().orElseThrow()
          + PROMISE.toNanos();
      Duration within = Duration.ofNanos(Math.max(0, deadline - System.nanoTime())).plusSeconds(30);
      try {
        await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500)).until(() -> {
          List<String> keys = snapshot();
          if (keys == null) {
            return false;
          }
          boolean decided = true;
          for (Case c : deleted) {
            if (c.passed != null) {
              continue;
            }
            if (c.deleteProblem != null) {
              c.problems = List.of(c.deleteProblem);
              c.passed = false;
              continue;
            }
            List<String> problems = problems(c, keys);
            long now = System.nanoTime();
            if (problems.isEmpty()) {
              c.passed = true;
              c.cleanAfterMillis = (now - c.deletedAt) / 1_000_000;
            } else {
              c.problems = problems;
              if (now - c.deletedAt - c.downtimeNanos > PROMISE.toNanos()) {
                c.diagnosis = diagnosis(c, keys);
                c.passed = false;
              } else {
                decided = false;
              }
            }
          }
          return decided;
        });
      } catch (ConditionTimeoutException e) {
        List<String> keys = snapshot();
        deleted.stream().filter(c -> c.passed == null).forEach(c -> {
          c.diagnosis = keys == null ? null : diagnosis(c, keys);
          c.passed = false;
        });
      }
    }

    /** Whether the request that should have deleted it marked it deleted, covered it and finished. */
    private String diagnosis(Case c, List<String> keys) {
      String tombstone = keys.contains("tombstones/" + c.id) ? "tombstone present" : "no tombstone";
      if (c.requestId == null) {
        return tombstone;
      }
      Path receipt = file("audit/requests/" + c.requestId + ".json");
      try {
        if (!Files.exists(receipt)) {
          return tombstone + "; request " + c.requestId + (exists("purges/requests/" + c.requestId + ".json")
              ? " has a plan and no receipt yet" : " has neither plan nor receipt");
        }
        JsonObject done = new JsonObject(Files.readString(receipt, StandardCharsets.UTF_8)).getJsonObject("receipt");
        List<String> covered = done.getJsonArray("recordings").stream()
            .map(r -> ((JsonObject) r).getString("recordingId")).toList();
        return tombstone + "; request " + c.requestId + " finished covering " + covered.size() + " recording(s)"
            + (covered.contains(c.id) ? " including this one" : ", not this one") + " and "
            + done.getInteger("consentRecordsDeleted") + " consent record(s)";
      } catch (IOException | RuntimeException e) {
        return tombstone + "; request " + c.requestId + ": receipt unreadable (" + e.getClass().getSimpleName() + ")";
      }
    }

    /** What is wrong with a deleted recording now: objects left, then what the API says. */
    private List<String> problems(Case c, List<String> keys) {
      List<String> problems = new ArrayList<>();
      for (String key : keys) {
        if (key.contains(c.id) && !allowed(key, c.id)) {
          problems.add("left " + key);
        } else if (c.multipartId != null && key.contains(c.multipartId)) {
          problems.add("left " + key + " (its multipart upload)");
        }
      }
      String consent = "consents/" + practice + "/" + c.owner.consentId() + ".json";
      if (c.scope == Scope.CONSENT && !revoked(consent)) {
        problems.add(consent + " is not kept as the record of the revocation");
      } else if ((c.scope == Scope.CLIENT || c.scope == Scope.THERAPIST) && keys.contains(consent)) {
        problems.add("left " + consent + " (a consent of the deleted " + c.label + ")");
      }
      if (problems.isEmpty()) {
        problems.addAll(apiProblems(c));
      }
      return problems;
    }

    /** A tombstone, the sweep's marker and the audit chain and receipts may name a deleted recording. */
    private static boolean allowed(String key, String id) {
      return key.startsWith("audit/") || key.equals("tombstones/" + id) || key.equals("deletions/watch/" + id);
    }

    private boolean revoked(String consentKey) {
      try {
        return new JsonObject(Files.readString(file(consentKey), StandardCharsets.UTF_8)).getBoolean("revoked",
            false);
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }

    private List<String> apiProblems(Case c) {
      List<String> problems = new ArrayList<>();
      String path = "/v1/recordings/" + c.id;
      try {
        HttpResponse<String> status = api.request("GET", path, admin, Map.of(), null);
        if (status.statusCode() != 200 || !"DELETED".equals(field(status, "status"))) {
          problems.add("GET " + path + " answers " + status.statusCode() + " " + abbreviate(status.body()));
        }
        for (String what : List.of("/transcript", "/analysis")) {
          HttpResponse<String> derived = api.request("GET", path + what, admin, Map.of(), null);
          if (derived.statusCode() != 404) {
            problems.add("GET " + path + what + " answers " + derived.statusCode());
          }
        }
        HttpResponse<String> receipt = api.request("GET", path + "/deletion-receipt", admin, Map.of(), null);
        String reason = receipt.statusCode() == 200 ? StandaloneClient.json(receipt).getJsonObject("receipt",
            new JsonObject()).getString("reason") : null;
        if (!"deletion-request".equals(reason)) {
          problems.add("GET " + path + "/deletion-receipt answers " + receipt.statusCode() + " "
              + (reason == null ? abbreviate(receipt.body()) : "with reason " + reason));
        }
      } catch (UncheckedIOException e) {
        problems.add("the API did not answer: " + e.getMessage());
      }
      return problems;
    }

    // ---- the end: quiet, then everything once more --------------------------------------------

    private void finish() {
      awaitIdle();
      try {
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(250)).until(() -> keepers.stream()
            .allMatch(this::keeperDone));
      } catch (ConditionTimeoutException e) {
        // The checks below say which keeper is not done.
      }
      // Nothing of a deleted recording may come back once the pipeline is quiet (30 s for a
      // stage's own take-back of a late write to land).
      List<Case> clean = cases.stream().filter(c -> Boolean.TRUE.equals(c.passed)).toList();
      try {
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(1))
            .until(() -> {
              List<String> keys = snapshot();
              if (keys == null) {
                return false;
              }
              clean.forEach(c -> {
                c.finalProblems = problems(c, keys).stream().map(p -> "at the end: " + p).toList();
                c.diagnosis = c.finalProblems.isEmpty() ? null : diagnosis(c, keys);
              });
              return clean.stream().allMatch(c -> c.finalProblems.isEmpty());
            });
      } catch (ConditionTimeoutException e) {
        // Recorded in finalProblems.
      }
      checkKeepers();
      verify();
    }

    private void checkKeepers() {
      List<String> keys = snapshot();
      for (Recording k : keepers) {
        List<String> problems = new ArrayList<>();
        JsonObject status = status(k);
        if (!keeperDone(k)) {
          problems.add("status " + (status == null ? "unreadable" : status.encode()));
        }
        for (String what : List.of("/transcript", "/analysis")) {
          int code = code("GET", "/v1/recordings/" + k.id + what, k.owner.token());
          if (code != 200) {
            problems.add("GET " + what + " answers " + code);
          }
        }
        for (String key : List.of("transcripts/" + k.id + ".json", "analyses/" + k.id + ".json",
            "keys/" + k.id + ".data.dek")) {
          if (keys == null || !keys.contains(key)) {
            problems.add(key + " is gone");
          }
        }
        if (keys != null && keys.contains("tombstones/" + k.id)) {
          problems.add("it has a tombstone");
        }
        if (keys != null && keys.stream().noneMatch(key -> key.startsWith("index/") && key.endsWith("/" + k.id))) {
          problems.add("its index entry is gone");
        }
        // Not a deletion matter, so noted rather than failed: the status view rebuilt after a restart
        // may apply an analysis before the transcript it follows.
        String note = problems.isEmpty() && status != null && !"ANALYZED".equals(status.getString("status"))
            ? " (note: its status says " + status.getString("status") + " though its analysis is served)" : "";
        String line = "[" + name + "] " + k.label + " " + k.id + (problems.isEmpty() ? ": untouched" + note
            : ": TOUCHED: " + String.join("; ", problems));
        lines.add(line);
        if (!problems.isEmpty()) {
          failures.add(line);
        }
      }
    }

    /**
     * Both auditor commands, with the instance running, as an auditor would run them; side by side,
     * since each is a process start of its own and they only read.
     */
    private void verify() {
      CompletableFuture<StandaloneProcess.Result> purging = CompletableFuture.supplyAsync(() -> StandaloneProcess.run(
          logs, "verify-purge", "--data-dir", dataDir.toString()), pool);
      AtomicReference<StandaloneProcess.Result> audit = new AtomicReference<>();
      try {
        // The chain's copy on the topic may trail the last entry by a moment.
        await().atMost(Duration.ofSeconds(90)).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(3))
            .until(() -> {
              audit.set(StandaloneProcess.run(logs, "verify-audit", "--data-dir", dataDir.toString()));
              return audit.get().exit() == 0;
            });
      } catch (ConditionTimeoutException e) {
        // Reported below.
      }
      StandaloneProcess.Result purge = purging.join();
      lines.add("[" + name + "] verify-purge: exit " + purge.exit());
      if (purge.exit() != 0) {
        failures.add("[" + name + "] verify-purge exit " + purge.exit() + ":\n" + purge.stdout() + purge.stderr());
      }
      StandaloneProcess.Result result = audit.get();
      int exit = result == null ? -1 : result.exit();
      lines.add("[" + name + "] verify-audit: exit " + exit);
      if (exit != 0) {
        failures.add("[" + name + "] verify-audit exit " + exit + ":\n" + (result == null ? "never ran"
            : result.stdout() + result.stderr()));
      }
    }

    private String line(Case c) {
      StringBuilder line = new StringBuilder("[" + name + "] " + c.label + " x (" + c.planned.letter + ") "
          + c.planned.description + " | hit (" + (c.hitMoment == null ? "?" : c.hitMoment.letter) + ") " + c.hit);
      if (c.stoppedAfterMillis != null) {
        line.append(String.format(Locale.ROOT, " | stopped %.1f s after its DELETE, restarted",
            c.stoppedAfterMillis / 1000.0));
      }
      if (Boolean.TRUE.equals(c.passed) && c.finalProblems.isEmpty()) {
        line.append(String.format(Locale.ROOT, " | PASS, clean %.1f s after the DELETE", c.cleanAfterMillis / 1000.0));
      } else {
        List<String> problems = Boolean.TRUE.equals(c.passed) ? c.finalProblems : c.problems;
        line.append(" | FAIL ").append(c.id).append(": ").append(String.join("; ", problems));
        if (c.diagnosis != null) {
          line.append(" [").append(c.diagnosis).append("]");
        }
      }
      return line.toString();
    }

    // ---- waiting --------------------------------------------------------------------------------

    private void awaitClaimed(List<? extends Recording> recordings) {
      await().atMost(Duration.ofMinutes(3)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
          .until(() -> {
            for (Recording r : recordings) {
              if (r.claimedAt == 0 && exists("transcripts/" + r.id + ".job")) {
                r.claimedAt = System.nanoTime();
              }
            }
            return recordings.stream().allMatch(r -> r.claimedAt != 0);
          });
    }

    /** The transcriber has nothing in flight and nothing waiting (its lag gauge is refreshed every 5 s). */
    private void awaitIdle() {
      try {
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250)).until(() -> {
          try {
            String metrics = api.request("GET", "/metrics", StandaloneProcess.opsToken(dataDir), Map.of(), null)
                .body();
            return gauge(metrics, "sessionflow_transcription_slots_busy") == 0
                && gauge(metrics, "sessionflow_transcription_lag_records") == 0;
          } catch (UncheckedIOException e) {
            return false;
          }
        });
      } catch (ConditionTimeoutException e) {
        failures.add("[" + name + "] the transcriber was still busy 5 minutes later");
      }
    }

    /** The one wait the matrix prescribes as a fixed delay: from the DELETE to the SIGTERM. */
    private static void waitDeliberately(Duration delay) {
      if (!delay.isNegative() && !delay.isZero()) {
        await().pollDelay(delay).atMost(delay.plusSeconds(10)).until(() -> true);
      }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private List<Case> cases(Moment... moments) {
      List<Moment> wanted = List.of(moments);
      return cases.stream().filter(c -> wanted.contains(c.planned)).toList();
    }

    private void sendAll(Recording r) {
      HttpResponse<String> sent = api.tusPatch(r.owner.token(), r.id, 0, StandaloneProcess.wav(r.seconds,
          r.id.hashCode()));
      assertThat(sent.statusCode()).as("upload of %s: %s", r.label, sent.body()).isEqualTo(204);
    }

    /** A part and a tail of the audio arrive; the upload stays open. */
    private void sendPart(Case c) {
      byte[] audio = StandaloneProcess.wav(c.seconds, c.id.hashCode());
      byte[] part = Arrays.copyOf(audio, c.seconds == MID_UPLOAD_SECONDS ? MID_UPLOAD_SENT : audio.length / 2);
      HttpResponse<String> sent = api.tusPatch(c.owner.token(), c.id, 0, part);
      assertThat(sent.statusCode()).as("partial upload: %s", sent.body()).isEqualTo(204);
    }

    private <T> void parallel(List<T> items, Consumer<T> action) {
      try {
        CompletableFuture.allOf(items.stream().map(item -> CompletableFuture.runAsync(() -> action.accept(item),
            pool)).toArray(CompletableFuture[]::new)).join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof RuntimeException cause) {
          throw cause;
        }
        if (e.getCause() instanceof Error cause) {
          throw cause;
        }
        throw e;
      }
    }

    /** The status as the admin reads it, or null when the instance does not answer with one. */
    private JsonObject status(Recording r) {
      try {
        HttpResponse<String> answer = api.request("GET", "/v1/recordings/" + r.id, admin, Map.of(), null);
        return answer.statusCode() == 200 ? StandaloneClient.json(answer) : null;
      } catch (UncheckedIOException e) {
        return null;
      }
    }

    /** Transcribed and analysed (both stored), audio purged, not deleted. */
    private boolean keeperDone(Recording k) {
      JsonObject status = status(k);
      return status != null && !"DELETED".equals(status.getString("status")) && "PURGED".equals(status.getString(
          "audio")) && exists("transcripts/" + k.id + ".json") && exists("analyses/" + k.id + ".json");
    }

    private static boolean analyzedAndPurged(JsonObject status) {
      return status != null && "ANALYZED".equals(status.getString("status"))
          && "PURGED".equals(status.getString("audio"));
    }

    private int code(String method, String path, String token) {
      try {
        return api.request(method, path, token, Map.of(), null).statusCode();
      } catch (UncheckedIOException e) {
        return -1;
      }
    }

    /** Every object key (path under its bucket) S3Proxy keeps; null when a folder vanished mid-walk. */
    private List<String> snapshot() {
      try (Stream<Path> files = Files.walk(objects)) {
        return files.filter(Files::isRegularFile).map(objects::relativize).filter(p -> p.getNameCount() > 1)
            .map(p -> p.subpath(1, p.getNameCount()).toString().replace('\\', '/')).toList();
      } catch (IOException | UncheckedIOException e) {
        return null;
      }
    }

    private Path file(String key) {
      return objects.resolve("sessionflow").resolve(key);
    }

    private boolean exists(String key) {
      return Files.exists(file(key));
    }

    private void progress(String what) {
      System.out.printf(Locale.ROOT, "deletion matrix [%s] %.1f s: %s%n", name, (System.nanoTime() - started) / 1e9,
          what);
    }

    private static String field(HttpResponse<String> response, String name) {
      try {
        return StandaloneClient.json(response).getString(name);
      } catch (RuntimeException e) {
        return null;
      }
    }

    private static double gauge(String metrics, String name) {
      return metrics.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " ")).findFirst()
          .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(-1.0);
    }

    private static String abbreviate(String body) {
      String flat = body.replaceAll("\\s+", " ").strip();
      return flat.length() <= 160 ? flat : flat.substring(0, 160) + "...";
    }

    private static long wavLength(int seconds) {
      return 44 + 32_000L * seconds;
    }

    /** The partition Kafka's default partitioner gives a record keyed by this recording id. */
    private static int partition(String id) {
      return Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }
  }
}
