package io.sessionflow.ingest.tus;

import io.sessionflow.common.crypto.Ids;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.upload.RequestEnd;
import io.sessionflow.ingest.upload.UploadException;
import io.sessionflow.ingest.upload.UploadState;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tus 1.0 at {@code /files/}: core protocol with creation, creation-with-upload,
 * creation-defer-length, termination, checksum (sha1, sha256), expiration and concatenation.
 * This class only speaks the protocol; {@link Uploads} does the storing.
 */
public final class TusRoutes {
  public static final String VERSION = "1.0.0";
  public static final String EXTENSIONS =
      "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration,concatenation";
  public static final String OFFSET_OCTET_STREAM = "application/offset+octet-stream";
  /**
   * Response headers browsers may read: tus-js-client and Uppy need the tus ones; Retry-After (with
   * a 503 or 429) and WWW-Authenticate (with a 401) say what to do next.
   */
  public static final Set<String> EXPOSED_HEADERS = Set.of("Location", "Upload-Offset", "Upload-Length",
      "Upload-Metadata", "Upload-Defer-Length", "Upload-Concat", "Upload-Expires", "Tus-Version", "Tus-Resumable",
      "Tus-Max-Size", "Tus-Extension", "Tus-Checksum-Algorithm", "Retry-After", "WWW-Authenticate",
      "Upload-Complete", "Upload-Incomplete", "Upload-Limit", "Upload-Draft-Interop-Version");
  /**
   * Request headers browsers may send: tus's, the resumable-upload draft's, Last-Event-ID for
   * /v1/events; X-Request-ID is tus-js-client's {@code addRequestId} (and in tusd's list).
   */
  public static final Set<String> ALLOWED_HEADERS = Set.of("Authorization", "Content-Type", "Tus-Resumable",
      "Upload-Length", "Upload-Metadata", "Upload-Offset", "Upload-Defer-Length", "Upload-Concat",
      "Upload-Checksum", "X-HTTP-Method-Override", "X-Requested-With", "X-Request-ID",
      "Upload-Complete", "Upload-Incomplete", "Upload-Draft-Interop-Version", "Last-Event-ID");
  private static final Logger LOG = LoggerFactory.getLogger(TusRoutes.class);
  /** IMF-fixdate (RFC 9110 section 5.6.7): a two-digit day, which RFC_1123_DATE_TIME leaves out on days 1 to 9. */
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'",
      java.util.Locale.US).withZone(ZoneOffset.UTC);

  private final Uploads uploads;

  public TusRoutes(Uploads uploads) {
    this.uploads = uploads;
  }

  /** OPTIONS needs no token (it is also what a browser's preflight and a client's discovery send). */
  public void mountPublic(Router router) {
    router.options("/files").handler(this::options);
    router.options("/files/*").handler(this::options);
  }

  /** Routes that need an authenticated caller; mount after the auth handler. */
  public void mount(Router router) {
    router.route("/files*").handler(this::methodOverride);
    router.route("/files*").handler(this::requireVersion);
    router.post("/files").handler(this::create);
    router.post("/files/").handler(this::create);
    router.head("/files/:id").handler(this::head);
    router.patch("/files/:id").handler(this::patch);
    router.delete("/files/:id").handler(this::terminate);
  }

  private void options(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    tusHeaders(response);
    response.putHeader("Tus-Version", VERSION)
        .putHeader("Tus-Extension", EXTENSIONS)
        .putHeader("Tus-Max-Size", Long.toString(uploads.settings().maxSize()))
        .putHeader("Tus-Checksum-Algorithm", String.join(",", Uploads.Checksum.ALGORITHMS))
        .setStatusCode(204).end();
  }

  /** tus allows POST with X-HTTP-Method-Override for environments that cannot send PATCH or DELETE. */
  private void methodOverride(RoutingContext ctx) {
    String override = ctx.request().getHeader("X-HTTP-Method-Override");
    if (override != null && ctx.request().method() == HttpMethod.POST && ctx.get("tus.rerouted") == null) {
      if (!override.trim().matches("[A-Za-z]{1,16}")) {
        respond(ctx, 400, "X-HTTP-Method-Override must name a method: PATCH, DELETE or HEAD");
        return;
      }
      ctx.put("tus.rerouted", true);
      ctx.reroute(HttpMethod.valueOf(override.trim().toUpperCase(Locale.ROOT)), ctx.request().path());
      return;
    }
    ctx.next();
  }

  private void requireVersion(RoutingContext ctx) {
    if (!VERSION.equals(ctx.request().getHeader("Tus-Resumable"))) {
      ctx.response().putHeader("Tus-Version", VERSION);
      respond(ctx, 412,
          "This server speaks tus " + VERSION + ": send Tus-Resumable: " + VERSION + ".");
      return;
    }
    ctx.next();
  }

  private void create(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    Caller caller = BearerAuthHandler.caller(ctx);
    Map<String, String> metadata;
    Long length;
    Uploads.Checksum checksum;
    try {
      metadata = parseMetadata(request.getHeader("Upload-Metadata"));
      length = parseLength(request);
      checksum = parseChecksum(request.getHeader("Upload-Checksum"));
    } catch (UploadException e) {
      fail(ctx, e);
      return;
    }
    String concat = request.getHeader("Upload-Concat");
    String consentId = metadata.remove("consentId");
    Future<UploadState> created;
    if (concat != null && concat.startsWith("final;")) {
      created = uploads.concatenate(caller, consentId, partialIds(concat.substring("final;".length())), metadata);
    } else if (concat != null && !concat.equals("partial")) {
      fail(ctx, new UploadException(UploadException.Kind.BAD_REQUEST,
          "Upload-Concat must be 'partial' or 'final;<upload URLs>'"));
      return;
    } else {
      UploadState.Concat kind = concat == null ? UploadState.Concat.NONE : UploadState.Concat.PARTIAL;
      if (length == null && kind == UploadState.Concat.NONE && !"1".equals(request.getHeader("Upload-Defer-Length"))) {
        fail(ctx, new UploadException(UploadException.Kind.BAD_REQUEST,
            "send Upload-Length, or Upload-Defer-Length: 1 to give the length later"));
        return;
      }
      created = uploads.create(caller, consentId, length, metadata, kind, "tus");
    }
    boolean withBody = OFFSET_OCTET_STREAM.equals(contentType(request)) && hasBody(request);
    Future<Void> ended = withBody ? RequestEnd.of(request) : null;
    created.compose(state -> {
      if (!withBody) {
        return Future.succeededFuture(state);
      }
      // The upload exists whatever happens to its first body: an error names it, so the client can resume it.
      return uploads.append(caller, state.id(), 0, null, checksum, request, ended)
          .onFailure(error -> ctx.response().putHeader("Location", location(state.id())));
    }).onSuccess(state -> {
      HttpServerResponse response = ctx.response();
      tusHeaders(response);
      response.putHeader("Location", location(state.id()));
      uploadHeaders(response, state);
      response.setStatusCode(201).end();
    }).onFailure(error -> fail(ctx, error));
  }

  private static String location(String id) {
    return "/files/" + id;
  }

  private void head(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    uploads.describe(caller, ctx.pathParam("id"))
        .onSuccess(found -> {
          HttpServerResponse response = ctx.response();
          tusHeaders(response);
          response.putHeader("Cache-Control", "no-store");
          uploadHeaders(response, found.getKey());
          if (!found.getValue().isEmpty()) {
            response.putHeader("Upload-Metadata", encodeMetadata(found.getValue()));
          }
          response.setStatusCode(200).end();
        }).onFailure(error -> fail(ctx, error));
  }

  private void patch(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    if (!OFFSET_OCTET_STREAM.equals(contentType(request))) {
      respond(ctx, 415,
          "PATCH bodies must be sent as Content-Type: " + OFFSET_OCTET_STREAM + ".");
      return;
    }
    Long offset;
    Long declared;
    Uploads.Checksum checksum;
    try {
      offset = parseLong(request.getHeader("Upload-Offset"), "Upload-Offset");
      if (offset == null) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Offset is required");
      }
      declared = parseLength(request);
      checksum = parseChecksum(request.getHeader("Upload-Checksum"));
    } catch (UploadException e) {
      fail(ctx, e);
      return;
    }
    Caller caller = BearerAuthHandler.caller(ctx);
    uploads.append(caller, ctx.pathParam("id"), offset, declared, checksum, request, RequestEnd.of(request))
        .onSuccess(state -> {
          HttpServerResponse response = ctx.response();
          tusHeaders(response);
          response.putHeader("Upload-Offset", Long.toString(state.offset()));
          if (!state.isComplete()) {
            response.putHeader("Upload-Expires", httpDate(state.expiresAt()));
          }
          response.setStatusCode(204).end();
        })
        .onFailure(error -> fail(ctx, error));
  }

  private void terminate(RoutingContext ctx) {
    Caller caller = BearerAuthHandler.caller(ctx);
    uploads.terminate(caller, ctx.pathParam("id")).onSuccess(request -> {
      tusHeaders(ctx.response());
      if (request.isEmpty()) {
        ctx.response().setStatusCode(204).end();
        return;
      }
      // A completed recording: deleted by the purger shortly, like DELETE /v1/recordings/{id}.
      ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
          .end(new io.vertx.core.json.JsonObject().put("requestId", request.get().requestId())
              .put("status", "DELETION_REQUESTED").encode());
    }).onFailure(error -> fail(ctx, error));
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader("Content-Length");
    return length == null ? request.getHeader("Transfer-Encoding") != null : !length.trim().equals("0");
  }

  private static String contentType(HttpServerRequest request) {
    String type = request.getHeader("Content-Type");
    return type == null ? null : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
  }

  private void uploadHeaders(HttpServerResponse response, UploadState state) {
    response.putHeader("Upload-Offset", Long.toString(state.offset()));
    if (state.lengthKnown()) {
      response.putHeader("Upload-Length", Long.toString(state.length()));
    } else {
      response.putHeader("Upload-Defer-Length", "1");
    }
    if (state.concat() == UploadState.Concat.PARTIAL) {
      response.putHeader("Upload-Concat", "partial");
    } else if (state.concat() == UploadState.Concat.FINAL) {
      response.putHeader("Upload-Concat", "final;" + String.join(" ",
          state.partials().stream().map(TusRoutes::location).toList()));
    }
    if (!state.isComplete() || state.isDuplicate()) {
      // A re-upload kept as a pointer answers until its expiry too.
      response.putHeader("Upload-Expires", httpDate(state.expiresAt()));
    }
  }

  private static void tusHeaders(HttpServerResponse response) {
    response.putHeader("Tus-Resumable", VERSION);
  }

  static Long parseLength(HttpServerRequest request) {
    return parseLong(request.getHeader("Upload-Length"), "Upload-Length");
  }

  /** A header's non-negative integer, null when absent; a BAD_REQUEST naming the header otherwise. */
  public static Long parseLong(String value, String header) {
    if (value == null) {
      return null;
    }
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed < 0) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new UploadException(UploadException.Kind.BAD_REQUEST, header + " must be a non-negative integer");
    }
  }

  /** {@code key base64,key2 base64}; values are decoded, keys are checked. */
  static Map<String, String> parseMetadata(String header) {
    Map<String, String> metadata = new LinkedHashMap<>();
    if (header == null || header.isBlank()) {
      return metadata;
    }
    for (String pair : header.split(",")) {
      String[] kv = pair.trim().split(" ");
      // tus forbids only spaces and commas in a key (and an empty one): "app:version" is a key.
      if (kv.length == 0 || kv[0].isEmpty() || kv.length > 2 || !kv[0].matches("[!-~&&[^,]]{1,64}")) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Metadata must be comma-separated "
            + "'key base64value' pairs, each key 1 to 64 printable ASCII characters without spaces or commas");
      }
      if (metadata.containsKey(kv[0])) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Metadata repeats key " + kv[0]);
      }
      try {
        String value = kv.length == 2
            ? new String(Base64.getDecoder().decode(kv[1]), java.nio.charset.StandardCharsets.UTF_8) : "";
        metadata.put(kv[0], value);
      } catch (IllegalArgumentException e) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST,
            "Upload-Metadata value of " + kv[0] + " is not base64");
      }
    }
    if (metadata.containsKey("consentId") && !Ids.isValid(metadata.get("consentId"))) {
      throw new UploadException(UploadException.Kind.BAD_REQUEST, "consentId in Upload-Metadata is not a valid id");
    }
    return metadata;
  }

  static Uploads.Checksum parseChecksum(String header) {
    if (header == null) {
      return null;
    }
    String[] parts = header.trim().split(" ");
    if (parts.length != 2) {
      throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Checksum must be '<algorithm> <base64>'");
    }
    String algorithm = parts[0].toLowerCase(Locale.ROOT);
    if (!Uploads.Checksum.ALGORITHMS.contains(algorithm)) {
      throw new UploadException(UploadException.Kind.BAD_REQUEST,
          "checksum algorithm " + (algorithm.matches("[a-z0-9-]{1,16}") ? algorithm : "(unknown)")
              + " is not supported; use one of " + Uploads.Checksum.ALGORITHMS);
    }
    try {
      return new Uploads.Checksum(algorithm, Base64.getDecoder().decode(parts[1]));
    } catch (IllegalArgumentException e) {
      throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Checksum digest is not base64");
    }
  }

  static String encodeMetadata(Map<String, String> metadata) {
    List<String> pairs = new ArrayList<>();
    metadata.forEach((key, value) -> pairs.add(value.isEmpty() ? key
        : key + " " + Base64.getEncoder().encodeToString(value.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    return String.join(",", pairs);
  }

  static List<String> partialIds(String urls) {
    List<String> ids = new ArrayList<>();
    for (String url : urls.trim().split(" +")) {
      if (url.isEmpty()) {
        continue;
      }
      String id = url.substring(url.lastIndexOf('/') + 1);
      if (!Ids.isValid(id)) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Concat names an invalid upload URL");
      }
      ids.add(id);
    }
    return ids;
  }

  private static void fail(RoutingContext ctx, Throwable error) {
    Throwable cause = Failures.unwrap(error);
    if (cause instanceof UploadException ue) {
      if (ue.kind() == UploadException.Kind.INTERRUPTED || ue.kind() == UploadException.Kind.BUSY
          || ue.kind() == UploadException.Kind.SHUTTING_DOWN) {
        // The body a newer request or the shutdown cut short, or one memory was not found for, is not read.
        tusHeaders(ctx.response());
        if (ue.kind() == UploadException.Kind.BUSY) {
          ctx.response().putHeader("Retry-After", Long.toString(UploadException.BUSY_RETRY_AFTER_SECONDS));
        } else if (ue.kind() == UploadException.Kind.SHUTTING_DOWN) {
          ctx.response().putHeader("Retry-After", "2");
          ue.storedOffset().ifPresent(offset -> ctx.response().putHeader("Upload-Offset", Long.toString(offset)));
        }
        Problem.of(ue.kind().status(), ue.getMessage()).rejectAndClose(ctx.request());
      } else {
        respond(ctx, ue.kind().status(), ue.getMessage());
      }
      return;
    }
    LOG.error("tus {} {} failed", ctx.request().method(), ctx.normalizedPath(), cause);
    boolean retryable = Failures.isRetryable(cause);
    if (retryable) {
      ctx.response().putHeader("Retry-After", "5");
    }
    respond(ctx, retryable ? 503 : 500, retryable
        ? "Storage or Kafka is briefly unavailable; the bytes received so far are kept. Retry in a few seconds."
        : "The upload could not be processed; it was logged. Resume from the last offset (HEAD) or retry.");
  }

  static String httpDate(java.time.Instant instant) {
    return HTTP_DATE.format(instant);
  }

  static void respond(RoutingContext ctx, int status, String detail) {
    tusHeaders(ctx.response());
    Problem.of(status, detail).reject(ctx.request());
  }
}
