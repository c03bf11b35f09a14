package io.sessionflow.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The warm-up's effect on speed is measured by bench/upload-bench.sh; here, that it works at all. */
class CipherWarmupTest {
  @Test
  void everyWarmUpMessageRoundTrips() {
    assertThat(CipherWarmup.run()).isTrue();
  }
}
