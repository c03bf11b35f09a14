package io.sessionflow.ingest.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.ingest.ApiContract;
import io.sessionflow.ingest.IngestHarness;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.openapi.contract.OpenAPIVersion;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI document and the router agree, and the document is served as JSON and as docs, without a token. */
class OpenApiContractIT {
  static IngestHarness harness;

  @BeforeAll
  static void start() {
    harness = new IngestHarness(Map.of());
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  /**
   * The router's endpoints as "METHOD /path/{}": routes with methods and a path. A path ending in a
   * bare {@code *} is a filter in front of others (auth, role checks, the full-disk check), not an
   * endpoint; {@code /x/*} serves whatever is under it, one path parameter.
   */
  static Set<String> routerOperations() {
    Set<String> operations = new TreeSet<>();
    for (Route route : harness.ingest().router().getRoutes()) {
      String path = route.getPath();
      // Vert.x reports "/x/*" as the prefix "/x/" and "/x*" as "/x", neither exact; ":id" routes as regex ones.
      if (path == null || route.methods() == null || route.methods().isEmpty()
          || (!route.isExactPath() && !path.endsWith("/"))) {
        continue;
      }
      String templated = path.replaceAll(":[A-Za-z]+", "{}") + (route.isExactPath() ? "" : "{}");
      route.methods().forEach(method -> operations.add(method.name() + " " + templated));
      if (!route.isExactPath() && route.methods().contains(io.vertx.core.http.HttpMethod.OPTIONS)) {
        operations.add("OPTIONS " + path); // "/files/*" answers "/files/" itself too
      }
    }
    return operations;
  }

  static Set<String> documentedOperations() {
    Set<String> operations = new TreeSet<>();
    ApiContract.get().contract().operations().forEach(operation -> operations.add(operation.getHttpMethod().name()
        + " " + operation.getOpenAPIPath().replaceAll("\\{[^}]+}", "{}")));
    return operations;
  }

  @Test
  void everyRouteIsInTheDocumentAndEveryOperationOfItIsARoute() {
    Set<String> served = routerOperations();
    Set<String> documented = documentedOperations();
    Set<String> undocumented = new TreeSet<>(served);
    undocumented.removeAll(documented);
    Set<String> unserved = new TreeSet<>(documented);
    unserved.removeAll(served);
    assertThat(undocumented).as("routes missing from openapi.yaml").isEmpty();
    assertThat(unserved).as("operations in openapi.yaml no route serves").isEmpty();
    assertThat(served).contains("PATCH /files/{}", "GET /openapi.json", "GET /v1/recordings/{}");
  }

  @Test
  void theDocumentIsOpenApi31WithRolesAndExamplesForEveryOperation() {
    assertThat(ApiContract.get().contract().getVersion()).isEqualTo(OpenAPIVersion.V3_1);
    JsonObject raw = ApiDocsRoutes.load();
    Set<String> missing = new TreeSet<>();
    raw.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
      if (!(op.getValue() instanceof JsonObject operation) || !operation.containsKey("responses")) {
        return; // path-level parameters and such
      }
      String name = op.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey();
      if (!operation.containsKey("x-roles")) {
        missing.add(name + ": x-roles");
      }
      if (operation.getString("operationId") == null) {
        missing.add(name + ": operationId");
      }
    }));
    assertThat(missing).isEmpty();
    assertThat(raw.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject("bearer")
        .getString("scheme")).isEqualTo("bearer");
  }

  @Test
  void theDocumentIsServedAsJsonAndAsDocsWithoutAToken() {
    HttpResponse<String> json = harness.send(harness.request("/openapi.json", null).GET());
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(new JsonObject(json.body())).isEqualTo(ApiDocsRoutes.load());

    HttpResponse<String> page = harness.send(harness.request("/docs", null).GET());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("/docs/swagger-ui-bundle.js").contains("/openapi.json")
        .doesNotContain("http://").doesNotContain("https://");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("script-src 'self'");
    HttpResponse<String> bundle = harness.send(harness.request("/docs/swagger-ui-bundle.js", null).GET());
    assertThat(bundle.statusCode()).isEqualTo(200);
    assertThat(bundle.body()).contains("SwaggerUIBundle");
    assertThat(harness.send(harness.request("/docs/docs.js", null).GET()).body()).contains("/openapi.json",
        "SwaggerUIBundle").doesNotContain("http");
    assertThat(harness.send(harness.request("/docs/index.html", null).GET()).statusCode())
        .as("only the files the page uses").isEqualTo(404);
  }
}
