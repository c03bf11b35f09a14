package io.sessionflow.ingest.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

/** Which answers leave an upload open, so its slot in the quota stays held until it is finished. */
class LimitRoutesTest {
  static MultiMap headers(String... pairs) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < pairs.length; i += 2) {
      headers.add(pairs[i], pairs[i + 1]);
    }
    return headers;
  }

  @Test
  void tusAndResumableCreationsThatStayOpenHoldTheirSlot() {
    assertThat(LimitRoutes.createdUpload(201, headers("Location", "/files/a1", "Upload-Offset", "0",
        "Upload-Length", "10"))).isEqualTo("a1");
    assertThat(LimitRoutes.createdUpload(201, headers("Location", "/files/a1", "Upload-Offset", "10",
        "Upload-Length", "10"))).as("complete").isNull();
    assertThat(LimitRoutes.createdUpload(201, headers("Location", "/files/a1", "Upload-Offset", "10",
        "Upload-Concat", "final;/files/p1 /files/p2"))).as("a final upload is complete").isNull();
    assertThat(LimitRoutes.createdUpload(201, headers("Location", "/v1/uploads/b2", "Upload-Offset", "100",
        "Upload-Complete", "?0"))).as("an IETF upload left open").isEqualTo("b2");
    assertThat(LimitRoutes.createdUpload(201, headers("Location", "/v1/uploads/b2", "Upload-Incomplete", "?1")))
        .as("version 3 says it the other way round").isEqualTo("b2");
    assertThat(LimitRoutes.createdUpload(201, headers("Location", "/v1/recordings/b2", "Upload-Complete", "?1")))
        .as("completed in its creation").isNull();
    assertThat(LimitRoutes.createdUpload(400, headers("Location", "/v1/uploads/b2"))).isNull();
  }
}
