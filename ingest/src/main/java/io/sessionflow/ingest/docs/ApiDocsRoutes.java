package io.sessionflow.ingest.docs;

import io.sessionflow.common.ops.Problem;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The API contract, machine-readable and for people: {@code GET /openapi.json} is the OpenAPI 3.1
 * document of every public route ({@code openapi/openapi.yaml} in this jar, kept true by
 * OpenApiContractIT: every route is in it, everything in it is a route, and the integration
 * tests' real responses validate against it), {@code GET /docs} shows it with Swagger UI from its
 * WebJar (served from this jar, no CDN). Neither needs a token; neither says anything about data.
 */
public final class ApiDocsRoutes {
  public static final String DOCUMENT = "openapi/openapi.yaml";
  private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.35.0/";
  /** Swagger UI's files from this origin only; it sets inline styles, so styles may be inline, scripts never. */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; "
      + "style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
      + "form-action 'none'; frame-ancestors 'none'";
  /** The files /docs/{asset} serves, and their types: nothing else of the WebJar is reachable. */
  private static final Map<String, String> ASSETS = Map.of(
      "swagger-ui.css", "text/css; charset=utf-8",
      "swagger-ui-bundle.js", "text/javascript; charset=utf-8",
      "favicon-32x32.png", "image/png");

  private final Buffer document;
  private final Buffer page;
  private final Buffer init;
  private final Map<String, Buffer> assets;

  public ApiDocsRoutes() {
    this.document = Buffer.buffer(load().encodePrettily());
    this.page = Buffer.buffer(read(ApiDocsRoutes.class.getClassLoader(), "openapi/docs.html"));
    this.init = Buffer.buffer(read(ApiDocsRoutes.class.getClassLoader(), "openapi/docs.js"));
    Map<String, Buffer> loaded = new java.util.HashMap<>();
    ASSETS.keySet().forEach(name -> loaded.put(name, Buffer.buffer(read(ApiDocsRoutes.class.getClassLoader(),
        SWAGGER_UI + name))));
    this.assets = Map.copyOf(loaded);
  }

  /** The OpenAPI document as JSON, as this jar holds it. */
  public static JsonObject load() {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    try (InputStream in = ApiDocsRoutes.class.getClassLoader().getResourceAsStream(DOCUMENT)) {
      if (in == null) {
        throw new IllegalStateException(DOCUMENT + " is missing from the ingest jar");
      }
      Object parsed = yaml.load(in);
      // SnakeYAML reads timestamps and such as Java objects; the document has none, and JSON round-trips the rest.
      return new JsonObject(io.vertx.core.json.Json.encode(parsed));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DOCUMENT, e);
    }
  }

  private static byte[] read(ClassLoader loader, String name) {
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the ingest jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }

  /** Mount before authentication: the contract is public. */
  public void mountPublic(Router router) {
    router.get("/openapi.json").handler(ctx -> serve(ctx, "application/json", document, false));
    router.get("/docs").handler(ctx -> serve(ctx, "text/html; charset=utf-8", page, false));
    router.get("/docs/:asset").handler(this::asset);
  }

  private void asset(RoutingContext ctx) {
    String name = ctx.pathParam("asset");
    if ("docs.js".equals(name)) {
      serve(ctx, "text/javascript; charset=utf-8", init, false);
      return;
    }
    Buffer body = assets.get(name);
    if (body == null) {
      Problem.of(404, "No such file of the API docs.").send(ctx.response());
      return;
    }
    serve(ctx, ASSETS.get(name), body, true);
  }

  private static void serve(RoutingContext ctx, String type, Buffer body, boolean immutable) {
    ctx.response().putHeader("Content-Type", type)
        .putHeader("Cache-Control", immutable ? "public, max-age=86400" : "no-cache")
        .putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY").putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .end(body);
  }
}
