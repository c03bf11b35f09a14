package io.sessionflow.ingest.consent;

import io.sessionflow.common.consent.Consent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.auth.Role;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ConsentRoutesTest {
  private final ConsentRoutes routes = new ConsentRoutes(null, null, null,
      Clock.fixed(Instant.parse("2026-11-26T10:00:00Z"), ZoneOffset.UTC));
  private final Caller therapist = new Caller("ther-1", Role.THERAPIST, "prac-1");

  private static JsonObject body(String clientRef) {
    return new JsonObject().put("clientRef", clientRef).put("scope", new io.vertx.core.json.JsonArray()
        .add("record").add("transcribe")).put("formVersion", "v3").put("capturedAt", "2026-11-25T09:00:00Z");
  }

  @Test
  void aPseudonymIsAcceptedAndBoundToTheCallersPractice() {
    Consent consent = routes.parse(therapist, body("client-042"));
    assertThat(consent.practiceId()).isEqualTo("prac-1");
    assertThat(consent.therapistId()).isEqualTo("ther-1");
    assertThat(consent.scope()).containsExactly("record", "transcribe");
    assertThat(consent.allows("record")).isTrue();
    assertThat(consent.allows("analyze")).isFalse();
  }

  @Test
  void contactDetailsAreNotPseudonyms() {
    assertThat(ClientRefs.looksLikeContactDetail("jane.doe@example.org")).isTrue();
    assertThat(ClientRefs.looksLikeContactDetail("+44 20 7946 0958")).isTrue();
    assertThat(ClientRefs.looksLikeContactDetail("5551234567")).isTrue();
    assertThat(ClientRefs.looksLikeContactDetail("client-2024-07")).isFalse();
    assertThatThrownBy(() -> routes.parse(therapist, body("5551234567")))
        .hasMessageContaining("looks like an e-mail address or phone number");
    assertThatThrownBy(() -> routes.parse(therapist, body("Jane Doe"))).hasMessageContaining("pseudonym");
  }

  @Test
  void scopeFormVersionAndCaptureTimeAreChecked() {
    assertThatThrownBy(() -> routes.parse(therapist, body("c1").put("scope", new io.vertx.core.json.JsonArray()
        .add("sell")))).hasMessageContaining("scope entries");
    assertThatThrownBy(() -> routes.parse(therapist, body("c1").put("capturedAt", "yesterday")))
        .hasMessageContaining("ISO-8601");
    assertThatThrownBy(() -> routes.parse(therapist, body("c1").put("capturedAt", "2027-01-01T00:00:00Z")))
        .hasMessageContaining("future");
    assertThatThrownBy(() -> routes.parse(therapist, body("c1").put("formVersion", "")))
        .hasMessageContaining("formVersion");
  }
}
