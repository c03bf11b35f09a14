package io.sessionflow.ingest.consent;

import io.sessionflow.common.consent.Consent;
import io.sessionflow.common.consent.ConsentStore;
import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.ingest.upload.InMemoryObjectStore;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ConsentStoreTest {
  private static final Instant AT = Instant.parse("2026-11-26T10:00:00Z");
  private final ConsentStore store = new ConsentStore(new InMemoryObjectStore(), "b");

  private static Consent consent(String id, String practice, String clientRef) {
    return new Consent(id, practice, "ther", clientRef, List.of("record"), "v1", AT, AT, null);
  }

  @Test
  void aPracticesListingHoldsEveryConsentOfItsOwnRevokedOnesIncluded() {
    // More than one read batch, so the batches must add up.
    IntStream.range(0, 40).forEach(i -> store.save(consent("c" + i, "prac-a", "client-" + i)).join());
    store.save(consent("revoked", "prac-a", "client-r").revoked(AT)).join();
    store.save(consent("other", "prac-b", "client-0")).join();
    store.save(consent("other2", "prac-a2", "client-0")).join();

    List<Consent> listed = store.practice("prac-a").join();
    assertThat(listed).hasSize(41).allMatch(c -> c.practiceId().equals("prac-a"));
    assertThat(listed).extracting(Consent::id).contains("c0", "c39", "revoked").doesNotContain("other", "other2");
    assertThat(listed).filteredOn(Consent::isRevoked).extracting(Consent::clientRef).containsExactly("client-r");
  }

  @Test
  void anUnknownOrInvalidPracticeHasNoConsents() {
    store.save(consent("c1", "prac-a", "client-1")).join();
    assertThat(store.practice("prac-z").join()).isEmpty();
    assertThat(store.practice("../prac-a").join()).isEmpty();
    assertThat(store.practice(null).join()).isEmpty();
  }
}
