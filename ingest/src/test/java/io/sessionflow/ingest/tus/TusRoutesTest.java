package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TusRoutesTest {
  @Test
  void uploadExpiresIsAnImfFixdateWithATwoDigitDay() {
    assertThat(TusRoutes.httpDate(Instant.parse("2026-12-02T09:05:07Z"))).isEqualTo("Wed, 02 Dec 2026 09:05:07 GMT");
    assertThat(TusRoutes.httpDate(Instant.parse("2026-11-26T23:59:59Z"))).isEqualTo("Thu, 26 Nov 2026 23:59:59 GMT");
  }
}
