package io.sessionflow.purger;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.purger.internal.ChainWatch;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChainWatchTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-20T10:00:00Z"));
  final VersionedObjectStore store = new VersionedObjectStore(false, clock);
  final RecordingPublisher events = new RecordingPublisher();
  final AuditChain chain = new AuditChain(store, "b", events, clock);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final ChainWatch watch = new ChainWatch(chain, registry);

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  @Test
  void newEntriesAreVerifiedAsTheChainGrowsAndABreakRaisesTheGauge() {
    chain.append("purge-receipt", "r0", "a", Map.of("n", 0), 0).join();
    chain.append("purge-receipt", "r1", "b", Map.of("n", 1), 0).join();
    watch.check().join();
    assertThat(gauge("sessionflow.audit.chain.verified.entries")).isEqualTo(2);
    assertThat(gauge("sessionflow.audit.chain.broken")).isZero();

    // Entry 1 is edited; a writer that starts afresh links the next entry to the edited bytes.
    String edited = new String(store.get("b", AuditChain.key(1)).join(), StandardCharsets.UTF_8)
        .replace("\"n\":1", "\"n\":7");
    store.put("b", AuditChain.key(1), edited.getBytes(StandardCharsets.UTF_8), Map.of()).join();
    new AuditChain(store, "b", events, clock).append("purge-receipt", "r2", "c", Map.of("n", 2), 0).join();
    watch.check().join();

    assertThat(gauge("sessionflow.audit.chain.broken")).isEqualTo(1);
    assertThat(gauge("sessionflow.audit.chain.verified.entries")).isEqualTo(2);
  }

  @Test
  void aRemovedEntryInTheMiddleIsABreakNotTheEndOfTheChain() {
    for (int i = 0; i < 4; i++) {
      chain.append("purge-receipt", "r" + i, "x" + i, Map.of("n", i), 0).join();
    }
    store.delete("b", AuditChain.key(1)).join();
    watch.check().join();
    assertThat(gauge("sessionflow.audit.chain.broken")).isEqualTo(1);
    assertThat(gauge("sessionflow.audit.chain.verified.entries")).isEqualTo(1);
  }
}
