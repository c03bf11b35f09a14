package io.sessionflow.purger;

import io.sessionflow.common.config.ByteSize;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.purger.internal.DeletedRecordingAudit;
import io.sessionflow.purger.internal.RawAudioInventory;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The auditor's {@code verify-purge}: walks the whole raw area (every version, delete marker,
 * multipart upload and upload leftover) and every key, prints each recording that still holds
 * something with the reason it may, and fails on anything without one or past the maximum
 * retention. Archive entries stored without a consent are listed apart, by id with their age, and
 * fail once past {@link RawAudioInventory#IMPORT_CONSENT_GRACE}. The rule is the purger's own
 * ({@link RawAudioInventory}), read-only here.
 */
public final class PurgeVerifier {
  /** Exit status when something is held without a live reason. */
  public static final int VIOLATIONS = 3;

  private PurgeVerifier() {
  }

  public static int run(ObjectStore store, String bucket, String keyBucket, Duration maxRetention, Duration purgeSlo,
      Instant now, PrintStream out) {
    RawAudioInventory.Scan scan;
    DeletedRecordingAudit.Result deleted;
    try {
      scan = new RawAudioInventory(store, bucket, keyBucket, maxRetention, purgeSlo,
          RawAudioInventory.CREATION_GRACE)
          .scan(now, true).get(10, TimeUnit.MINUTES);
      deleted = new DeletedRecordingAudit(store, bucket, keyBucket, purgeSlo).scan(now).get(10, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing object storage", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot list object storage: "
          + io.sessionflow.common.failure.Failures.reason(e), e);
    }
    out.println("verify-purge: bucket " + bucket + ", key bucket " + keyBucket + ", maximum raw-audio retention "
        + RawAudioInventory.human(maxRetention) + ", purge SLO " + RawAudioInventory.human(purgeSlo) + ", at " + now);
    out.println("checked: " + scan.rawVersions() + " raw object version(s) and delete marker(s), "
        + scan.multipartUploads() + " unfinished multipart upload(s), " + scan.leftovers() + " upload leftover(s), "
        + scan.audioKeys() + " audio key(s), " + scan.dataKeys() + " data key(s); raw audio at rest "
        + ByteSize.format(scan.bytes()) + (scan.oldest() == null ? "" : ", oldest from " + scan.oldest()));
    for (RawAudioInventory.Finding finding : scan.findings()) {
      out.println((finding.allowed() ? "ok    " : "FAIL  ") + "recording " + finding.recordingId() + ": "
          + finding.holds() + " - " + finding.reason());
    }
    List<RawAudioInventory.Finding> imports = scan.consentlessImports();
    out.println("checked: " + imports.size() + " import entr" + (imports.size() == 1 ? "y" : "ies")
        + " stored without a consent (an archive's manifest may give one for "
        + RawAudioInventory.human(RawAudioInventory.IMPORT_CONSENT_GRACE) + ")");
    for (RawAudioInventory.Finding entry : imports) {
      out.println((entry.allowed() ? "ok    " : "FAIL  ") + "import entry " + entry.recordingId() + " without a "
          + "consent: age " + RawAudioInventory.human(entry.awaitingConsent().orElseThrow().withNanos(0))
          + (entry.allowed() ? ", within the grace" : ", past the grace of "
              + RawAudioInventory.human(RawAudioInventory.IMPORT_CONSENT_GRACE)));
    }
    out.println("checked: " + deleted.deletedRecordings() + " recording(s) deleted on request, for anything left "
        + "under any prefix (raw, uploads, keys, transcripts, analyses, index, owners, purges)");
    for (DeletedRecordingAudit.Leftover left : deleted.leftovers()) {
      out.println((left.underWay() ? "ok    " : "FAIL  ") + "deleted recording " + left.recordingId() + " (at "
          + left.deletedAt() + "): " + (left.underWay() ? "deletion under way, still " : "left: ")
          + String.join(", ", left.keys()));
    }
    int violations = scan.violations().size();
    int leftovers = deleted.violations().size();
    if (violations == 0 && leftovers == 0) {
      out.println("result: PASS - no raw audio or key is held without a live reason, and nothing is left of any "
          + "deleted recording");
      return 0;
    }
    List<String> failed = new java.util.ArrayList<>();
    if (violations > 0) {
      failed.add(violations + " recording(s) hold raw audio or keys without a live reason");
    }
    if (leftovers > 0) {
      failed.add(leftovers + " deleted recording(s) still have data stored");
    }
    out.println("result: FAIL - " + String.join("; ", failed));
    return VIOLATIONS;
  }

}
