package io.sessionflow.ingest.tus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.ingest.upload.UploadException;
import java.util.Base64;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class TusRoutesTest {
  @Test
  void metadataKeysMayHoldAnyPrintableCharacterButSpacesAndCommas() {
    String value = Base64.getEncoder().encodeToString("x".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(TusRoutes.parseMetadata("app:version " + value + ", relativePath, filetype " + value))
        .containsEntry("app:version", "x").containsKeys("relativePath", "filetype");
    for (String bad : new String[] {"a b c", "k\u00e9y " + value, "x".repeat(65) + " " + value}) {
      assertThatThrownBy(() -> TusRoutes.parseMetadata(bad)).as(bad).isInstanceOf(UploadException.class)
          .hasMessageContaining("without spaces or commas");
    }
  }

  @Test
  void uploadExpiresIsAnImfFixdateWithATwoDigitDay() {
    assertThat(TusRoutes.httpDate(Instant.parse("2026-12-02T09:05:07Z"))).isEqualTo("Wed, 02 Dec 2026 09:05:07 GMT");
    assertThat(TusRoutes.httpDate(Instant.parse("2026-11-26T23:59:59Z"))).isEqualTo("Thu, 26 Nov 2026 23:59:59 GMT");
  }
}
