package io.sessionflow.ingest.imports;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.ingest.SteppedClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Import reports are bounded: in time, in number per practice and in all, and in what each one holds. */
class ImportReportsTest {
  final SteppedClock clock = new SteppedClock(Instant.parse("2026-11-20T10:00:00Z"));
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private ImportStatus report(String id, String practice) {
    return new ImportStatus(id, practice, clock.instant(), 1_000);
  }

  private double evicted(String reason) {
    return registry.get("sessionflow.import.reports.evicted").tag("reason", reason).counter().count();
  }

  private double kept() {
    return registry.get("sessionflow.import.reports").gauge().value();
  }

  @Test
  void aFinishedReportExpiresAfterTheTtlAndARunningOneNever() {
    ImportReports reports = new ImportReports(clock, Duration.ofHours(24), 10, 100, registry);
    ImportStatus done = report("done", "p1");
    ImportStatus running = report("running", "p1");
    reports.add(done);
    reports.add(running);
    clock.advance(Duration.ofHours(1));
    done.finish(clock.instant());
    clock.advance(Duration.ofHours(24).minusSeconds(1));
    assertThat(reports.find("done")).isPresent();
    assertThat(kept()).isEqualTo(2.0);

    clock.advance(Duration.ofSeconds(1));
    assertThat(reports.find("done")).isEmpty();
    clock.advance(Duration.ofDays(30));
    assertThat(reports.find("running")).containsSame(running);
    assertThat(kept()).isEqualTo(1.0);
    assertThat(evicted("expired")).isEqualTo(1.0);
  }

  @Test
  void pastThePracticeCapTheOldestFinishedReportOfThatPracticeGoesFirst() {
    ImportReports reports = new ImportReports(clock, Duration.ofHours(24), 3, 100, registry);
    ImportStatus a = report("a", "p1");
    ImportStatus b = report("b", "p1");
    ImportStatus c = report("c", "p1");
    ImportStatus other = report("other", "p2");
    for (ImportStatus r : new ImportStatus[] {a, b, c, other}) {
      reports.add(r);
    }
    // b finished before a; c still runs.
    b.finish(clock.instant());
    clock.advance(Duration.ofMinutes(1));
    a.fail("corrupt", clock.instant());
    other.finish(clock.instant());

    reports.add(report("d", "p1"));
    assertThat(reports.find("b")).isEmpty();
    assertThat(reports.find("a")).isPresent();
    assertThat(reports.find("c")).isPresent();
    assertThat(reports.find("d")).isPresent();
    assertThat(reports.find("other")).as("another practice's report is not touched").isPresent();
    reports.add(report("e", "p1"));
    assertThat(reports.find("a")).isEmpty();
    // Only running ones are left of p1 besides the new one: none can go, so the cap is exceeded, not broken.
    reports.add(report("f", "p1"));
    assertThat(reports.find("c")).isPresent();
    assertThat(reports.find("f")).isPresent();
    assertThat(evicted("practice_cap")).isEqualTo(2.0);
  }

  @Test
  void pastTheTotalCapTheOldestFinishedReportOfAnyPracticeGoesFirst() {
    ImportReports reports = new ImportReports(clock, Duration.ofHours(24), 10, 3, registry);
    for (int i = 0; i < 3; i++) {
      ImportStatus r = report("r" + i, "p" + i);
      reports.add(r);
      clock.advance(Duration.ofMinutes(1));
      r.finish(clock.instant());
    }
    reports.add(report("new", "p9"));
    assertThat(reports.find("r0")).isEmpty();
    assertThat(reports.find("r1")).isPresent();
    assertThat(reports.find("new")).isPresent();
    assertThat(kept()).isEqualTo(3.0);
    assertThat(evicted("total_cap")).isEqualTo(1.0);
  }

  @Test
  void aReportCountsEveryEntryButListsOnlyTheFirstStoredAndRefusedOnesUpToTheCap() {
    ImportStatus status = new ImportStatus("big", "p1", clock.instant(), 3);
    for (int i = 1; i <= 10; i++) {
      status.stored(i, "ok-" + i + ".wav", "rec" + i, 100);
    }
    status.revoke(1, "ok-1.wav", "rec1", 100, "no manifest.csv row for this file");
    for (int i = 11; i <= 20; i++) {
      status.rejected(i, "bad-" + i + ".txt", "not audio");
    }
    status.revoke(9, "ok-9.wav", "rec9", 100, "no manifest.csv row for this file");
    status.finish(clock.instant());

    JsonObject json = status.toJson();
    JsonObject progress = json.getJsonObject("progress");
    assertThat(progress.getLong("entriesDone")).isEqualTo(20);
    assertThat(progress.getLong("stored")).isEqualTo(8);
    assertThat(progress.getLong("rejected")).isEqualTo(12);
    assertThat(progress.getLong("bytes")).isEqualTo(800);
    assertThat(progress.getJsonObject("notListed").getLong("stored")).isEqualTo(6);
    assertThat(progress.getJsonObject("notListed").getLong("rejected")).isEqualTo(9);
    JsonArray entries = json.getJsonArray("entries");
    assertThat(entries.stream().map(e -> ((JsonObject) e).getString("name")))
        .containsExactly("ok-1.wav", "ok-2.wav", "ok-3.wav", "bad-11.txt", "bad-12.txt");
    JsonObject revoked = entries.getJsonObject(0);
    assertThat(revoked.getString("outcome")).isEqualTo("REJECTED");
    assertThat(revoked.getString("reason")).contains("no manifest.csv row");
    assertThat(revoked.containsKey("recordingId")).isFalse();
    JsonObject stored = entries.getJsonObject(1);
    assertThat(stored.getString("outcome")).isEqualTo("STORED");
    assertThat(stored.getString("recordingId")).isEqualTo("rec2");
    assertThat(stored.getLong("bytes")).isEqualTo(100);
    assertThat(json.getString("finishedAt")).isEqualTo(clock.instant().toString());
  }

  @Test
  void aHundredThousandEntryReportStaysSmall() {
    ImportStatus status = new ImportStatus("huge", "p1", clock.instant(), 1_000);
    String name = "x".repeat(200);
    for (int i = 1; i <= 100_000; i++) {
      if (i % 2 == 0) {
        status.stored(i, name + i, "rec" + i, 10);
      } else {
        status.rejected(i, name + i, "not audio (the content is not a known audio format)");
      }
    }
    JsonObject json = status.toJson();
    assertThat(json.getJsonArray("entries")).hasSize(2_000);
    assertThat(json.getJsonObject("progress").getLong("entriesDone")).isEqualTo(100_000);
    assertThat(json.encode().length()).isLessThan(1_000_000);
  }

  @Test
  void slotsArePerPracticeAndInAllAndAreGivenBack() {
    ImportSlots slots = new ImportSlots(1, 2);
    ImportSlots.Grant a = slots.acquire("p1");
    assertThat(a.slot()).isNotNull();
    assertThat(slots.acquire("p1").refusal()).contains("already has 1 import(s) running");
    ImportSlots.Grant b = slots.acquire("p2");
    assertThat(b.slot()).isNotNull();
    assertThat(slots.acquire("p3").refusal()).contains("maximum of 2 imports");
    a.slot().close();
    a.slot().close(); // released once only
    assertThat(slots.inUse()).isEqualTo(1);
    assertThat(slots.acquire("p1").slot()).isNotNull();
    assertThat(slots.acquire("p3").refusal()).isNotNull();
  }
}
