package io.sessionflow.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

class RequestHygieneTest {
  @Test
  void refusesDotSegmentsPlainOrEncodedAndEncodedSlashes() {
    for (String path : new String[] {"/v1/../metrics", "/v1/%2e%2e/metrics", "/v1/%2E%2e/x", "/v1/.%2E/x", "/./v1",
        "/v1/%2e", "/v1/x/..", "/v1/a%2fb", "/v1/a%2Fb", "/v1/a%5Cb", "/v1/a\\b"}) {
      assertThat(RequestHygiene.pathProblem(path)).as(path).isNotNull();
    }
    for (String path : new String[] {"/v1/recordings/abc-1/transcript", "/files/", "/v1/a.b", "/v1/...",
        "/v1/%2e%2e%2e", "/v1/..a", "/health/live", "/", "*"}) {
      assertThat(RequestHygiene.pathProblem(path)).as(path).isNull();
    }
  }

  @Test
  void refusesAmbiguousFraming() {
    assertThat(RequestHygiene.framingProblem(MultiMap.caseInsensitiveMultiMap().add("Content-Length", "3")))
        .isNull();
    assertThat(RequestHygiene.framingProblem(MultiMap.caseInsensitiveMultiMap().add("Transfer-Encoding",
        "Chunked"))).isNull();
    assertThat(RequestHygiene.framingProblem(MultiMap.caseInsensitiveMultiMap().add("Transfer-Encoding", "chunked")
        .add("Content-Length", "3"))).contains("both");
    assertThat(RequestHygiene.framingProblem(MultiMap.caseInsensitiveMultiMap().add("Transfer-Encoding",
        "gzip, chunked"))).contains("Only");
    assertThat(RequestHygiene.framingProblem(MultiMap.caseInsensitiveMultiMap().add("Transfer-Encoding", "chunked")
        .add("Transfer-Encoding", "chunked"))).contains("Only");
  }

  @Test
  void everythingUnderTheApiIsSensitive() {
    assertThat(RequestHygiene.isSensitive("/v1/me")).isTrue();
    assertThat(RequestHygiene.isSensitive("/files/abc")).isTrue();
    assertThat(RequestHygiene.isSensitive("/metrics")).isTrue();
    assertThat(RequestHygiene.isSensitive("/health/live")).isFalse();
    assertThat(RequestHygiene.isSensitive("/v1x")).isFalse();
  }
}
