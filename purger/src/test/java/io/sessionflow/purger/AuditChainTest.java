package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.event.AuditChainEntryEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AuditChainTest {
  static final String BUCKET = "sessionflow";
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final VersionedObjectStore store = new VersionedObjectStore(false, clock);
  final RecordingPublisher events = new RecordingPublisher();
  final AuditChain chain = new AuditChain(store, BUCKET, events, clock);

  private void appendFive() {
    for (int i = 0; i < 5; i++) {
      chain.append("purge-receipt", "rec" + i, "receipt" + i, Map.of("recordingId", "rec" + i, "n", i), 0).join();
      store.put(BUCKET, "audit/receipts/rec" + i + ".json", chain.read(i).join().bytes(), Map.of()).join();
    }
  }

  private Optional<String> verify(boolean withTopic) {
    return AuditChainVerifier.verify(store, BUCKET, withTopic
        ? Optional.of(events.of(AuditChainEntryEvent.class)) : Optional.empty()).broken();
  }

  private byte[] entry(long sequence) {
    return store.get(BUCKET, AuditChain.key(sequence)).join();
  }

  private void overwrite(long sequence, byte[] bytes) {
    store.put(BUCKET, AuditChain.key(sequence), bytes, Map.of()).join();
  }

  @Test
  void eachEntryLinksToTheHashOfThePreviousAndTheIntactChainVerifies() {
    appendFive();
    AuditChain.Entry second = chain.read(1).join();
    assertThat(second.json().path("previousHash").asText()).isEqualTo(chain.read(0).join().hash());
    assertThat(chain.read(0).join().json().path("previousHash").asText()).isEqualTo(AuditChain.GENESIS);
    assertThat(events.of(AuditChainEntryEvent.class)).extracting(AuditChainEntryEvent::sequence)
        .containsExactly(0L, 1L, 2L, 3L, 4L);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = AuditChainVerifier.run(store, BUCKET, Optional.of(events.of(AuditChainEntryEvent.class)),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("5 chain entries").contains("5 in the topic copy")
        .contains("5 served receipt(s)").contains("INTACT - head " + chain.read(4).join().hash());
  }

  @Test
  void anEditedEntryIsNamed() {
    appendFive();
    String edited = new String(entry(2), StandardCharsets.UTF_8).replace("\"n\":2", "\"n\":7");
    overwrite(2, edited.getBytes(StandardCharsets.UTF_8));
    assertThat(verify(false)).hasValueSatisfying(p -> assertThat(p).startsWith("entry 2 was altered"));
    assertThat(verify(true)).hasValueSatisfying(p -> assertThat(p).startsWith("entry 2 was altered")
        .contains("differs from its copy in sessionflow.audit"));
  }

  @Test
  void aRemovedEntryIsNamed() {
    appendFive();
    store.delete(BUCKET, AuditChain.key(2)).join();
    assertThat(verify(false))
        .hasValue("entry 2 is missing from object storage (removed); the chain resumes at entry 3");
  }

  @Test
  void reorderedEntriesAreNamed() {
    appendFive();
    byte[] two = entry(2);
    byte[] three = entry(3);
    overwrite(2, three);
    overwrite(3, two);
    assertThat(verify(false)).hasValueSatisfying(p -> assertThat(p)
        .startsWith("entry 2 holds the entry with sequence 3: entries were reordered or replaced"));
  }

  @Test
  void theLastEntryIsProtectedByTheTopicCopy() {
    appendFive();
    store.delete(BUCKET, AuditChain.key(4)).join();
    assertThat(verify(true)).hasValueSatisfying(p -> assertThat(p)
        .startsWith("entry 4 is missing from object storage (removed); the topic copy still has it"));
    // Without the copy, a truncated tail is undetectable; that is why the copy exists.
    store.delete(BUCKET, "audit/receipts/rec4.json").join();
    assertThat(verify(false)).isEmpty();
  }

  @Test
  void anAlteredServedReceiptIsNamed() {
    appendFive();
    String forged = new String(entry(1), StandardCharsets.UTF_8).replace("\"n\":1", "\"n\":9");
    store.put(BUCKET, "audit/receipts/rec1.json", forged.getBytes(StandardCharsets.UTF_8), Map.of()).join();
    assertThat(verify(true)).hasValue("receipt audit/receipts/rec1.json differs from chain entry 1 (altered)");
  }

  @Test
  void writersInTwoProcessesRacingForTheHeadNeverForkTheChain() {
    AuditChain other = new AuditChain(store, BUCKET, events, clock);
    chain.append("purge-receipt", "rec-a", "warm-a", Map.of(), 0).join();
    other.append("purge-receipt", "rec-b", "warm-b", Map.of(), 0).join();
    List<CompletableFuture<AuditChain.Entry>> appends = IntStream.range(0, 20).mapToObj(i ->
        (i % 2 == 0 ? chain : other).append("purge-receipt", "rec" + i, "r" + i, Map.of("n", i), 0)).toList();
    appends.forEach(CompletableFuture::join);

    assertThat(appends.stream().map(CompletableFuture::join).map(AuditChain.Entry::sequence).distinct()).hasSize(20);
    assertThat(chain.size().join()).isEqualTo(22);
    assertThat(AuditChainVerifier.verify(store, BUCKET, Optional.of(events.of(AuditChainEntryEvent.class)))
        .broken()).isEmpty();
  }

  @Test
  void appendingTheSameReceiptAgainReturnsTheEntryItIsIn() {
    AuditChain.Entry first = chain.append("purge-receipt", "rec1", "same", Map.of(), 0).join();
    chain.append("purge-receipt", "rec2", "other", Map.of(), 0).join();
    AuditChain.Entry again = chain.append("purge-receipt", "rec1", "same", Map.of(), 0).join();
    assertThat(again.sequence()).isEqualTo(first.sequence());
    assertThat(chain.size().join()).isEqualTo(2);
  }

  @Test
  void anEntryWhoseTopicCopyIsMissingBelowLaterCopiesIsNamedAndStrayKeysDoNotCrash() {
    appendFive();
    List<AuditChainEntryEvent> copies = events.of(AuditChainEntryEvent.class).stream()
        .filter(copy -> copy.sequence() != 2).toList();
    assertThat(AuditChainVerifier.verify(store, BUCKET, Optional.of(copies)).broken()).hasValueSatisfying(p ->
        assertThat(p).startsWith("entry 2 has no copy in sessionflow.audit"));
    // The newest entries may not be copied yet: only noted.
    List<AuditChainEntryEvent> lagging = events.of(AuditChainEntryEvent.class).stream()
        .filter(copy -> copy.sequence() < 4).toList();
    assertThat(AuditChainVerifier.verify(store, BUCKET, Optional.of(lagging)).broken()).isEmpty();

    store.put(BUCKET, "audit/chain/x/000000000001.json", new byte[] {1}, Map.of()).join();
    assertThat(AuditChain.sequenceOf("audit/chain/x/000000000001.json")).isEmpty();
    assertThat(verify(false)).hasValue("unexpected object audit/chain/x/000000000001.json in the chain (renamed or "
        + "inserted)");
  }
}
