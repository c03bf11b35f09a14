package io.sessionflow.ingest.imports;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.common.consent.Consent;
import io.sessionflow.ingest.upload.AudioSniffer;
import io.sessionflow.ingest.upload.UploadException;
import io.sessionflow.ingest.upload.UploadState;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Walks one archive as it streams in (zip or tar.gz, never spooled to disk), storing each audio
 * entry like an upload. Entries are judged one by one — unsafe or duplicate names, non-audio
 * bytes, oversize entries, no valid consent in {@code manifest.csv} — and rejected with a reason
 * while the rest continue. A decompression bomb or a corrupt archive stops the whole import;
 * entries already stored stay valid. Runs on a worker thread.
 */
final class ImportJob {
  private static final Logger LOG = LoggerFactory.getLogger(ImportJob.class);
  static final String MANIFEST = "manifest.csv";
  private static final int MAX_MANIFEST_BYTES = 4 << 20;

  private final Caller caller;
  private final Uploads uploads;
  private final ImportLimits limits;
  private final ImportStatus status;
  private final Clock clock;
  private final Consumer<JsonObject> bodyRead;
  private final Set<String> seen = new HashSet<>();
  private final List<Pending> pending = new ArrayList<>();
  private final Map<String, Consent> consents = new HashMap<>();
  private Map<String, ManifestRow> manifest;
  private long expanded;

  /**
   * @param bodyRead told, with a snapshot of the report, when the whole archive has been read but
   *     entries that came before {@code manifest.csv} are still to be checked and announced: the
   *     client is answered then rather than after a silent tail of that work.
   */
  ImportJob(Caller caller, Uploads uploads, ImportLimits limits, ImportStatus status, Clock clock,
      Consumer<JsonObject> bodyRead) {
    this.bodyRead = bodyRead;
    this.caller = caller;
    this.uploads = uploads;
    this.limits = limits;
    this.status = status;
    this.clock = clock;
  }

  void run(RequestInputStream raw) {
    try (ArchiveInputStream<?> archive = open(new BufferedInputStream(raw, 64 * 1024))) {
      int index = 0;
      ArchiveEntry entry;
      while ((entry = archive.getNextEntry()) != null) {
        if (entry.isDirectory()) {
          continue;
        }
        index++;
        Bounded data = new Bounded(archive, raw);
        handle(index, entry, data);
        // Whatever an entry did not use is read through the limits too: skipping a rejected entry
        // still inflates it, and a bomb must not hide in an entry we said no to.
        data.transferTo(java.io.OutputStream.nullOutputStream());
      }
      if (manifest != null && !pending.isEmpty()) {
        status.awaitingCheck(pending.size());
        bodyRead.accept(status.toJson());
      }
      settlePending();
      status.finish(clock.instant());
    } catch (Aborted e) {
      status.fail(e.getMessage(), clock.instant());
    } catch (IOException | RuntimeException e) {
      RequestInputStream.IdleTimeout idle = idleTimeout(e);
      if (idle != null) {
        LOG.info("import {} stopped: its client sent nothing for {}s", status.id(), idle.after().toSeconds());
        status.failStalled("the client sent nothing for " + idle.after().toSeconds() + "s, so the import was stopped; "
            + "entries stored before are kept: send the rest in a new archive", clock.instant());
      } else {
        LOG.warn("import {} stopped: {}", status.id(), Failures.reason(e));
        status.fail("the archive is corrupt or truncated; entries stored before the damage are kept",
            clock.instant());
      }
    } finally {
      for (Pending p : pending) {
        uploads.discard(p.state()).exceptionally(ignored -> null).join();
        status.revoke(p.index(), p.shown(), p.state().id(), p.state().length(),
            "the import stopped before this entry's consent could be checked");
      }
      pending.clear();
      LOG.info("import {} finished: {}", status.id(), status.state());
    }
  }

  private ArchiveInputStream<?> open(BufferedInputStream in) throws IOException {
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
      return new ZipArchiveInputStream(in, "UTF-8", true, true);
    }
    if (magic.length >= 2 && (magic[0] & 0xFF) == 0x1F && (magic[1] & 0xFF) == 0x8B) {
      return new TarArchiveInputStream(new GzipCompressorInputStream(in), "UTF-8");
    }
    throw new Aborted("the body is not a zip or tar.gz archive");
  }

  private void handle(int index, ArchiveEntry entry, Bounded data) throws IOException {
    String name = entry.getName();
    String shown = printable(name);
    if (entry instanceof TarArchiveEntry tar && (tar.isSymbolicLink() || tar.isLink() || !tar.isFile())) {
      status.rejected(index, shown, "links and special files are not accepted");
      return;
    }
    if (!isSafe(name)) {
      status.rejected(index, shown, "unsafe entry name (absolute, '..', backslash or control characters)");
      return;
    }
    if (name.equals(MANIFEST)) {
      readManifest(data);
      return;
    }
    if (!seen.add(name)) {
      status.rejected(index, shown, "duplicate entry name");
      return;
    }
    if (entry.getSize() > limits.maxEntryBytes()) {
      status.rejected(index, shown, "larger than the limit of " + limits.maxEntryBytes() + " bytes");
      return;
    }
    byte[] head = data.readNBytes(AudioSniffer.HEAD_BYTES);
    if (head.length == 0 || !AudioSniffer.isAudio(AudioSniffer.sniff(head))) {
      status.rejected(index, shown, "not audio (the content is not a known audio format)");
      return;
    }
    Consent consent = null;
    if (manifest != null) {
      String problem = consentProblem(name);
      if (problem != null) {
        status.rejected(index, shown, problem);
        return;
      }
      consent = consents.get(name);
    }
    UploadState state;
    try {
      state = uploads.storeBlocking(caller, new SequenceInputStream(new ByteArrayInputStream(head), data),
          limits.maxEntryBytes(), "import");
    } catch (UploadException e) {
      status.rejected(index, shown, e.getMessage());
      return;
    }
    status.stored(index, shown, state.id(), state.length());
    if (consent != null) {
      uploads.announce(state, consent.id(), caller).join();
    } else {
      // Its state (source import, no consent) is the durable trace: should this process die before
      // the manifest comes, the purger's sweep purges it after ImportLimits.PENDING_GRACE.
      pending.add(new Pending(index, shown, name, state));
    }
  }

  /** Entries stored before the manifest was read are checked now; those without a valid consent are deleted. */
  private void settlePending() {
    for (Pending p : List.copyOf(pending)) {
      String problem = manifest == null ? "the archive has no manifest.csv naming a consent" : consentProblem(p.name());
      if (problem == null) {
        problem = stillPending(p.state());
      }
      if (problem == null) {
        uploads.announce(p.state(), consents.get(p.name()).id(), caller).join();
      } else {
        uploads.discard(p.state()).exceptionally(ignored -> null).join();
        status.revoke(p.index(), p.shown(), p.state().id(), p.state().length(), problem);
      }
      pending.remove(p);
      status.awaitingCheck(pending.size());
    }
  }

  /**
   * Null when an entry stored before the manifest may still be announced: it waited less than half
   * the grace after which the purger removes consent-less import entries, and it is still there.
   */
  private String stillPending(UploadState state) {
    java.time.Duration waited = java.time.Duration.between(state.createdAt(), clock.instant());
    if (waited.compareTo(ImportLimits.PENDING_GRACE.dividedBy(2)) > 0) {
      return "manifest.csv came " + waited.toMinutes() + " minutes after this entry, more than the "
          + ImportLimits.PENDING_GRACE.dividedBy(2).toHours() + " hours an entry may wait for it; put manifest.csv "
          + "first in the archive";
    }
    try {
      uploads.find(caller, state.id()).toCompletionStage().toCompletableFuture().join();
      return null;
    } catch (RuntimeException e) {
      return Failures.unwrap(e) instanceof UploadException ue && ue.kind() == UploadException.Kind.NOT_FOUND
          ? "this entry was removed while it waited for manifest.csv; put manifest.csv first in the archive"
          : "the entry could not be checked; import it again";
    }
  }

  private static RequestInputStream.IdleTimeout idleTimeout(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RequestInputStream.IdleTimeout idle) {
        return idle;
      }
    }
    return null;
  }

  /** Null when the manifest names a valid recording consent for this entry; otherwise why not. */
  private String consentProblem(String name) {
    ManifestRow row = manifest.get(name);
    if (row == null) {
      return "no manifest.csv row for this file";
    }
    if (!consents.containsKey(name)) {
      try {
        Consent consent = uploads.requireImportConsent(caller, row.consentId()).toCompletionStage()
            .toCompletableFuture()
            .join();
        if (!consent.clientRef().equals(row.clientRef())) {
          return "consent " + consent.id() + " belongs to another client than the manifest row names";
        }
        consents.put(name, consent);
      } catch (RuntimeException e) {
        Throwable cause = Failures.unwrap(e);
        return cause instanceof UploadException ? cause.getMessage() : "the consent could not be checked";
      }
    }
    return null;
  }

  private void readManifest(InputStream data) throws IOException {
    byte[] bytes = data.readNBytes(MAX_MANIFEST_BYTES + 1);
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new Aborted("manifest.csv is larger than " + MAX_MANIFEST_BYTES + " bytes");
    }
    manifest = parseManifest(new String(bytes, StandardCharsets.UTF_8));
    status.expect(manifest.size());
  }

  /** {@code filename,clientRef,consentId,recordedAt} with a header row. */
  static Map<String, ManifestRow> parseManifest(String text) {
    Map<String, ManifestRow> rows = new LinkedHashMap<>();
    List<String> lines = text.replace("\r", "").lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty() || !lines.get(0).trim().equalsIgnoreCase("filename,clientRef,consentId,recordedAt")) {
      throw new Aborted("manifest.csv must start with the header filename,clientRef,consentId,recordedAt");
    }
    for (int i = 1; i < lines.size(); i++) {
      String[] cells = lines.get(i).split(",", -1);
      if (cells.length != 4) {
        throw new Aborted("manifest.csv line " + (i + 1) + " does not have 4 fields");
      }
      rows.put(cells[0].trim(), new ManifestRow(cells[1].trim(), cells[2].trim(), cells[3].trim()));
    }
    return rows;
  }

  static boolean isSafe(String name) {
    return !name.isEmpty() && name.length() <= 255 && !name.startsWith("/") && !name.contains("\\")
        && !name.matches("(?s).*[\\x00-\\x1f\\x7f].*") && !name.matches("^[A-Za-z]:.*")
        && java.util.Arrays.stream(name.split("/")).noneMatch(part -> part.equals("..") || part.equals("."));
  }

  /** A name as shown back to the admin: control characters and invalid UTF-8 made visible, length capped. */
  static String printable(String name) {
    String cleaned = name.replaceAll("[\\x00-\\x1f\\x7f]", "?");
    return cleaned.length() > 255 ? cleaned.substring(0, 255) + "…" : cleaned;
  }

  record ManifestRow(String clientRef, String consentId, String recordedAt) {
  }

  private record Pending(int index, String shown, String name, UploadState state) {
  }

  /** The whole import stops, with a reason the admin can act on. */
  static final class Aborted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Aborted(String message) {
      super(message);
    }
  }

  /** One entry's data, counted against the archive's expansion limits. */
  private final class Bounded extends FilterInputStream {
    private final RequestInputStream raw;

    Bounded(InputStream entry, RequestInputStream raw) {
      super(entry);
      this.raw = raw;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        expanded += n;
        if (expanded > limits.maxTotalBytes()) {
          throw new Aborted("the archive expands past " + limits.maxTotalBytes()
              + " bytes; import it in smaller archives");
        }
        long compressed = Math.max(1, raw.bytesRead());
        if (expanded > (1 << 20) && expanded / compressed > limits.maxRatio()) {
          throw new Aborted("the archive expands " + (expanded / compressed)
              + " times its size: it looks like a decompression bomb and was stopped");
        }
      }
      return n;
    }

    @Override
    public void close() {
      // The archive stream stays open for the next entry.
    }
  }
}
