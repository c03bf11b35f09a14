package io.sessionflow.ingest;

import io.sessionflow.ingest.docs.ApiDocsRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAPI document as the tests hold the server to it: every response an ingest test gets
 * through {@link IngestHarness#send} is validated against the operation it answered (status,
 * headers, body schema). A response the document does not describe fails the test that got it,
 * so the document cannot drift from what the server really says.
 */
public final class ApiContract {
  private static ApiContract instance;
  private final Vertx vertx;
  private final OpenAPIContract contract;
  private final ResponseValidator validator;

  private ApiContract() {
    this.vertx = Vertx.vertx();
    try {
      // The document names its server relatively ("/", the same origin); Vert.x's parser wants an absolute URL.
      io.vertx.core.json.JsonObject document = ApiDocsRoutes.load().put("servers", new io.vertx.core.json.JsonArray()
          .add(new io.vertx.core.json.JsonObject().put("url", "http://localhost")));
      // Vert.x's parser refuses media types it has no validator for (tus's application/offset+octet-stream,
      // application/problem+json, text/html…): every one is read as the kind it is checked as, in the
      // document and in the responses alike.
      normalizeContent(document);
      this.contract = OpenAPIContract.from(vertx, document).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("openapi.yaml is not a valid OpenAPI document: " + e.getMessage(), e);
    }
    this.validator = ResponseValidator.create(vertx, contract);
  }

  /** The media type Vert.x checks a body of {@code type} as: JSON as JSON, text as text, anything else as bytes. */
  static String checkedAs(String type) {
    if (type == null) {
      return null;
    }
    String bare = type.split(";")[0].trim().toLowerCase(java.util.Locale.ROOT);
    if (bare.equals("application/json") || bare.endsWith("+json")) {
      return "application/json";
    }
    return bare.startsWith("text/") ? "text/plain" : "application/octet-stream";
  }

  private static void normalizeContent(Object node) {
    if (node instanceof io.vertx.core.json.JsonObject object) {
      io.vertx.core.json.JsonObject content = object.getValue("content") instanceof io.vertx.core.json.JsonObject c
          ? c : null;
      if (content != null) {
        io.vertx.core.json.JsonObject checked = new io.vertx.core.json.JsonObject();
        content.forEach(type -> {
          if (!checked.containsKey(checkedAs(type.getKey()))) {
            checked.put(checkedAs(type.getKey()), type.getValue());
          }
        });
        object.put("content", checked);
      }
      object.forEach(entry -> normalizeContent(entry.getValue()));
    } else if (node instanceof io.vertx.core.json.JsonArray array) {
      array.forEach(ApiContract::normalizeContent);
    }
  }

  public static synchronized ApiContract get() {
    if (instance == null) {
      instance = new ApiContract();
    }
    return instance;
  }

  public OpenAPIContract contract() {
    return contract;
  }

  /** The operation the document has for this request, if any (a path no route serves has none). */
  public Optional<Operation> operation(String method, String path) {
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    return Optional.ofNullable(contract.findOperation(bare, HttpMethod.valueOf(method)));
  }

  /**
   * Fails with what differs when {@code response} is not what the document says the operation
   * answers; a request to no documented operation is not checked here (OpenApiContractIT checks
   * that the document and the router agree on the operations).
   */
  public void check(String method, String path, HttpResponse<String> response) {
    Optional<Operation> operation = operation(method, path);
    if (operation.isEmpty()) {
      return;
    }
    Map<String, String> headers = new HashMap<>();
    response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(java.util.Locale.ROOT),
        values.get(0)));
    // An RFC 9110 challenge (Bearer realm="…", error="…") is no OpenAPI "simple" value: Vert.x cannot decode it.
    headers.remove("www-authenticate");
    String type = checkedAs(response.headers().firstValue("Content-Type").orElse(null));
    if (type != null) {
      headers.put("content-type", type);
    }
    String body = response.body();
    if (body != null && !body.isEmpty() && !"HEAD".equals(method) && !"application/json".equals(type)) {
      // Bodies other than JSON are not schema-checked (Vert.x cannot): their status and type are.
      io.vertx.openapi.contract.Response documented = operation.get().getResponse(response.statusCode());
      documented = documented == null ? operation.get().getDefaultResponse() : documented;
      if (documented == null || !documented.getContent().containsKey(type)) {
        throw new AssertionError("the response to " + method + " " + operation.get().getOpenAPIPath() + " ("
            + operation.get().getOperationId() + ") is not what openapi.yaml says: " + response.statusCode()
            + " with " + response.headers().firstValue("Content-Type").orElse("no type") + " is not documented");
      }
      return;
    }
    ValidatableResponse validatable = body == null || body.isEmpty() || "HEAD".equals(method)
        ? ValidatableResponse.create(response.statusCode(), headers)
        : ValidatableResponse.create(response.statusCode(), headers, Buffer.buffer(body), type);
    try {
      validator.validate(validatable, operation.get().getOperationId()).await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the response to " + method + " " + operation.get().getOpenAPIPath() + " ("
          + operation.get().getOperationId() + ") is not what openapi.yaml says: " + response.statusCode() + " "
          + e.getMessage() + (body == null ? "" : "; body: " + body.substring(0, Math.min(body.length(), 300))), e);
    }
  }
}
