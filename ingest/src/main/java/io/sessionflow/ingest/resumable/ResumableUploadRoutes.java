package io.sessionflow.ingest.resumable;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Caller;
import io.sessionflow.ingest.upload.RequestEnd;
import io.sessionflow.ingest.upload.UploadException;
import io.sessionflow.ingest.upload.UploadState;
import io.sessionflow.ingest.upload.Uploads;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Resumable Uploads for HTTP" (IETF httpbis draft), interop versions 3 to 8, beside tus: what
 * Apple's URLSession speaks by itself (iOS 17: version 3; iOS 18: 5 and 6). A
 * {@code POST /v1/recordings?consentId=…} that carries {@code Upload-Draft-Interop-Version} is an
 * upload creation: the upload is created (consent checked) and announced with
 * {@code 104 Upload Resumption Supported} naming its URL {@code /v1/uploads/{id}} before the body
 * is read; the body is stored as any other. Offset retrieval is {@code HEAD}, append is
 * {@code PATCH} ({@code application/partial-upload} from version 6), cancellation {@code DELETE}.
 * The upload is the same {@link Uploads} state as tus's (the upload id is the recording id), so
 * both protocols see one offset; neither is confused by the other.
 */
public final class ResumableUploadRoutes {
  public static final String UPLOADS = "/v1/uploads/";
  static final String VERSION_HEADER = "Upload-Draft-Interop-Version";
  static final String PARTIAL_UPLOAD = "application/partial-upload";
  static final String PROBLEM_TYPES = "https://iana.org/assignments/http-problem-types#";
  private static final Logger LOG = LoggerFactory.getLogger(ResumableUploadRoutes.class);
  private final Uploads uploads;

  public ResumableUploadRoutes(Uploads uploads) {
    this.uploads = uploads;
  }

  /** What a draft version calls things. */
  record Draft(int version) {
    static final int OLDEST = 3;
    static final int NEWEST = 8;

    /** The draft the request speaks, or null when it speaks none this server knows (a plain request). */
    static Draft of(HttpServerRequest request) {
      String value = request.getHeader(VERSION_HEADER);
      if (value == null || !value.trim().matches("[0-9]{1,2}")) {
        return null;
      }
      int version = Integer.parseInt(value.trim());
      return version >= OLDEST && version <= NEWEST ? new Draft(version) : null;
    }

    /** Whether the request says it completes the upload; null when it does not say. */
    Boolean complete(HttpServerRequest request) {
      String value = request.getHeader(version == 3 ? "Upload-Incomplete" : "Upload-Complete");
      if (value == null) {
        return null;
      }
      boolean flag = parseBoolean(value, version == 3 ? "Upload-Incomplete" : "Upload-Complete");
      return version == 3 ? !flag : flag;
    }

    void complete(MultiMap headers, boolean complete) {
      if (version == 3) {
        headers.set("Upload-Incomplete", complete ? "?0" : "?1");
      } else {
        headers.set("Upload-Complete", complete ? "?1" : "?0");
      }
    }

    boolean limits() {
      return version >= 6;
    }

    boolean problemTypes() {
      return version >= 6;
    }

    /** From version 7 a PATCH must say whether it completes the upload; before, saying nothing meant it did. */
    boolean mustSayComplete() {
      return version >= 7;
    }

    /** Upload-Limit: the largest upload, no smallest, and how long an unfinished one lives (expires before 7). */
    String limit(long maxSize, long lifetimeSeconds) {
      return "max-size=" + maxSize + ", min-size=0, " + (version >= 7 ? "max-age=" : "expires=") + lifetimeSeconds;
    }
  }

  static boolean parseBoolean(String value, String header) {
    String trimmed = value.trim();
    if (trimmed.equals("?1")) {
      return true;
    }
    if (trimmed.equals("?0")) {
      return false;
    }
    throw new UploadException(UploadException.Kind.BAD_REQUEST, header + " must be the structured boolean ?1 or ?0");
  }

  /** OPTIONS needs no token: the limits and the append media type. */
  public void mountPublic(Router router) {
    router.options("/v1/recordings").handler(this::options);
    router.options(UPLOADS + ":id").handler(this::options);
  }

  /** Mount after authentication, before the plain POST /v1/recordings (it answers requests without a draft). */
  public void mount(Router router) {
    router.post("/v1/recordings").handler(this::create);
    router.head(UPLOADS + ":id").handler(this::head);
    router.patch(UPLOADS + ":id").handler(this::append);
    router.delete(UPLOADS + ":id").handler(this::cancel);
  }

  private void options(RoutingContext ctx) {
    ctx.response().putHeader("Upload-Limit", new Draft(Draft.NEWEST).limit(uploads.settings().maxSize(),
        uploads.settings().expiry().toSeconds())).putHeader("Accept-Patch", PARTIAL_UPLOAD)
        .putHeader("Allow", "OPTIONS, POST, HEAD, PATCH, DELETE").setStatusCode(204).end();
  }

  private static String location(String id) {
    return UPLOADS + id;
  }

  // ---- creation --------------------------------------------------------------------------------

  private void create(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    Draft draft = Draft.of(request);
    if (draft == null) {
      ctx.next(); // a plain streaming POST
      return;
    }
    request.pause();
    Caller caller = BearerAuthHandler.caller(ctx);
    Long length;
    try {
      length = declaredLength(draft, request, 0, true, null);
    } catch (UploadException | Inconsistent e) {
      fail(ctx, draft, e, null);
      return;
    }
    Future<Void> ended = RequestEnd.of(request);
    uploads.create(caller, request.getParam("consentId"), length, Map.of(), UploadState.Concat.NONE, "ietf")
        .compose(state -> {
          // Before a byte is read: the client now knows where to resume if the connection drops.
          MultiMap interim = MultiMap.caseInsensitiveMultiMap().add("Location", location(state.id()))
              .add(VERSION_HEADER, Integer.toString(draft.version()));
          if (draft.limits()) {
            interim.add("Upload-Limit", limit(draft));
          }
          InterimResponse.send(request, InterimResponse.UPLOAD_RESUMPTION_SUPPORTED, interim);
          return uploads.append(caller, state.id(), 0, null, null, request, ended)
              .recover(error -> Future.failedFuture(new Created(state.id(), error)));
        })
        .onSuccess(state -> answer(ctx, draft, state, true))
        .onFailure(error -> fail(ctx, draft, error instanceof Created c ? c.getCause() : error,
            error instanceof Created c ? c.id : null));
  }

  /** A failure after the upload was created: the client is told where it is. */
  private static final class Created extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String id;

    Created(String id, Throwable cause) {
      super(cause);
      this.id = id;
    }
  }

  /**
   * The upload's length as this request gives it: {@code Upload-Length}, or, on a request that
   * completes the upload, its offset plus {@code Content-Length} (they must agree, and agree
   * with a length known before). Null while it stays unknown.
   */
  private Long declaredLength(Draft draft, HttpServerRequest request, long offset, boolean creating, Long known) {
    Boolean complete = draft.complete(request);
    if (complete == null && (creating || draft.mustSayComplete())) {
      throw new UploadException(UploadException.Kind.BAD_REQUEST, "send " + (draft.version() == 3
          ? "Upload-Incomplete: ?1 while more is to come, ?0 with the last bytes"
          : "Upload-Complete: ?0 while more is to come, ?1 with the last bytes"));
    }
    boolean last = complete == null || complete;
    Long uploadLength = parse(request.getHeader("Upload-Length"), "Upload-Length");
    Long contentLength = parse(request.getHeader("Content-Length"), "Content-Length");
    Long length = uploadLength;
    if (last) {
      if (contentLength == null && length == null && known == null) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST, "the request that completes an upload of "
            + "unknown length needs Content-Length (or Upload-Length)");
      }
      if (contentLength != null) {
        long end = offset + contentLength;
        if ((length != null && length != end) || (known != null && known != end)) {
          throw new Inconsistent("Upload-Length and the bytes sent disagree: " + (known != null ? known : length)
              + " against " + end);
        }
        length = end;
      }
    }
    if (known != null && length != null && !known.equals(length)) {
      throw new Inconsistent("the upload's length is " + known + ", not " + length);
    }
    return length == null ? null : length;
  }

  /** The draft's inconsistent-upload-length, a 400. */
  static final class Inconsistent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Inconsistent(String message) {
      super(message);
    }
  }

  private static Long parse(String value, String header) {
    return io.sessionflow.ingest.tus.TusRoutes.parseLong(value, header);
  }

  private String limit(Draft draft) {
    return draft.limit(uploads.settings().maxSize(), uploads.settings().expiry().toSeconds());
  }

  // ---- offset retrieval, append, cancellation -------------------------------------------------

  private static Draft required(RoutingContext ctx) {
    Draft draft = Draft.of(ctx.request());
    if (draft == null) {
      Problem.of(400, "send " + VERSION_HEADER + ": " + Draft.OLDEST + " to " + Draft.NEWEST
          + " (the resumable-upload draft's interop version)").reject(ctx.request());
    }
    return draft;
  }

  private static boolean refusesUploadHeaders(RoutingContext ctx, String what) {
    HttpServerRequest request = ctx.request();
    for (String header : new String[] {"Upload-Offset", "Upload-Complete", "Upload-Incomplete", "Upload-Length"}) {
      if (request.getHeader(header) != null) {
        Problem.of(400, what + " takes no " + header + " header").reject(request);
        return true;
      }
    }
    return false;
  }

  private void head(RoutingContext ctx) {
    Draft draft = required(ctx);
    if (draft == null || refusesUploadHeaders(ctx, "HEAD")) {
      return;
    }
    Caller caller = BearerAuthHandler.caller(ctx);
    uploads.current(caller, ctx.pathParam("id")).onSuccess(state -> {
      HttpServerResponse response = ctx.response();
      progress(response, draft, state);
      response.putHeader("Cache-Control", "no-store").setStatusCode(204).end();
    }).onFailure(error -> fail(ctx, draft, error, null));
  }

  private void append(RoutingContext ctx) {
    Draft draft = required(ctx);
    if (draft == null) {
      return;
    }
    HttpServerRequest request = ctx.request();
    request.pause();
    String type = request.getHeader("Content-Type");
    if (draft.version() >= 6 && (type == null || !type.split(";")[0].trim().toLowerCase(Locale.ROOT)
        .equals(PARTIAL_UPLOAD))) {
      fail(ctx, draft, new UploadException(UploadException.Kind.BAD_REQUEST, "a PATCH appends with Content-Type: "
          + PARTIAL_UPLOAD), null);
      return;
    }
    Caller caller = BearerAuthHandler.caller(ctx);
    String id = ctx.pathParam("id");
    long offset;
    try {
      Long given = parse(request.getHeader("Upload-Offset"), "Upload-Offset");
      if (given == null) {
        throw new UploadException(UploadException.Kind.BAD_REQUEST, "Upload-Offset is required");
      }
      offset = given;
    } catch (UploadException e) {
      fail(ctx, draft, e, null);
      return;
    }
    Future<Void> ended = RequestEnd.of(request);
    uploads.find(caller, id).compose(state -> {
      if (state.isComplete()) {
        return Future.failedFuture(new Completed());
      }
      if (offset != state.offset()) {
        return Future.failedFuture(new Mismatch(state.offset(), offset));
      }
      Long length = declaredLength(draft, request, offset, false, state.length());
      return uploads.append(caller, id, offset, length, null, request, ended);
    }).onSuccess(state -> answer(ctx, draft, state, false)).onFailure(error -> fail(ctx, draft, error, null));
  }

  /** The draft's completed-upload: nothing more may be appended. */
  private static final class Completed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  /** The draft's mismatching-upload-offset. */
  private static final class Mismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long expected;
    private final long provided;

    Mismatch(long expected, long provided) {
      this.expected = expected;
      this.provided = provided;
    }
  }

  private void cancel(RoutingContext ctx) {
    Draft draft = required(ctx);
    if (draft == null || refusesUploadHeaders(ctx, "DELETE")) {
      return;
    }
    Caller caller = BearerAuthHandler.caller(ctx);
    uploads.terminate(caller, ctx.pathParam("id")).onSuccess(request -> {
      ctx.response().putHeader(VERSION_HEADER, Integer.toString(draft.version()));
      if (request.isEmpty()) {
        ctx.response().setStatusCode(204).end();
        return;
      }
      // A completed recording: its deletion is requested, like DELETE /v1/recordings/{id}.
      ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("requestId", request.get().requestId()).put("status", "DELETION_REQUESTED")
              .encode());
    }).onFailure(error -> fail(ctx, draft, error, null));
  }

  // ---- answers ---------------------------------------------------------------------------------

  private void progress(HttpServerResponse response, Draft draft, UploadState state) {
    response.putHeader(VERSION_HEADER, Integer.toString(draft.version()))
        .putHeader("Upload-Offset", Long.toString(state.offset()));
    draft.complete(response.headers(), state.isComplete());
    if (state.lengthKnown()) {
      response.putHeader("Upload-Length", Long.toString(state.length()));
    }
    if (draft.limits()) {
      response.putHeader("Upload-Limit", limit(draft));
    }
  }

  /**
   * A complete upload is answered as the recording's creation ({@code POST /v1/recordings}'s 201
   * with its id; 200 for the PATCH that completed it); an incomplete one with its progress.
   */
  private void answer(RoutingContext ctx, Draft draft, UploadState state, boolean creating) {
    HttpServerResponse response = ctx.response();
    progress(response, draft, state);
    if (state.isComplete()) {
      response.setStatusCode(creating ? 201 : 200).putHeader("Content-Type", "application/json")
          .putHeader("Location", "/v1/recordings/" + state.id())
          .end(io.sessionflow.ingest.recording.RecordingRoutes.created(state).encode());
      return;
    }
    if (creating) {
      response.putHeader("Location", location(state.id()));
    }
    response.setStatusCode(creating ? 201 : 204).end();
  }

  private void fail(RoutingContext ctx, Draft draft, Throwable error, String createdId) {
    Throwable cause = Failures.unwrap(error);
    HttpServerResponse response = ctx.response();
    response.putHeader(VERSION_HEADER, Integer.toString(draft.version()));
    if (createdId != null) {
      response.putHeader("Location", location(createdId));
    }
    if (cause instanceof Mismatch m) {
      response.putHeader("Upload-Offset", Long.toString(m.expected));
      Problem problem = new Problem(409, "Conflict", "Upload-Offset " + m.provided + " is not the upload's offset "
          + m.expected + "; HEAD the upload and append from there");
      if (draft.problemTypes()) {
        send(ctx, problem.toJson().put("type", PROBLEM_TYPES + "mismatching-upload-offset")
            .put("title", "offset from request does not match offset of resource")
            .put("expected-offset", m.expected).put("provided-offset", m.provided), 409);
      } else {
        problem.reject(ctx.request());
      }
      return;
    }
    if (cause instanceof Completed) {
      JsonObject problem = Problem.of(400, "the upload is complete: nothing more can be appended").toJson();
      if (draft.problemTypes()) {
        problem.put("type", PROBLEM_TYPES + "completed-upload").put("title", "upload is already completed");
      }
      send(ctx, problem, 400);
      return;
    }
    if (cause instanceof Inconsistent inconsistent) {
      JsonObject problem = Problem.of(400, inconsistent.getMessage()).toJson();
      if (draft.version() >= 7) {
        problem.put("type", PROBLEM_TYPES + "inconsistent-upload-length").put("title", "inconsistent upload length");
      }
      send(ctx, problem, 400);
      return;
    }
    if (cause instanceof UploadException ue) {
      if (ue.kind() == UploadException.Kind.BUSY || ue.kind() == UploadException.Kind.SHUTTING_DOWN
          || ue.kind() == UploadException.Kind.INTERRUPTED) {
        if (ue.kind() != UploadException.Kind.INTERRUPTED) {
          response.putHeader("Retry-After", ue.kind() == UploadException.Kind.BUSY
              ? Long.toString(UploadException.BUSY_RETRY_AFTER_SECONDS) : "2");
        }
        ue.storedOffset().ifPresent(offset -> response.putHeader("Upload-Offset", Long.toString(offset)));
        Problem.of(ue.kind().status(), ue.getMessage()).rejectAndClose(ctx.request());
        return;
      }
      Problem.of(ue.kind().status() == 460 ? 400 : ue.kind().status(), ue.getMessage()).reject(ctx.request());
      return;
    }
    LOG.error("resumable upload {} {} failed", ctx.request().method(), ctx.normalizedPath(), cause);
    boolean retryable = Failures.isRetryable(cause);
    if (retryable) {
      response.putHeader("Retry-After", "5");
    }
    Problem.of(retryable ? 503 : 500, retryable
        ? "Storage or Kafka is briefly unavailable; the bytes received so far are kept. HEAD the upload and resume."
        : "The upload could not be processed; it was logged. HEAD the upload and resume.").reject(ctx.request());
  }

  /** A problem with the draft's own members, the rest of the body read and dropped as any refusal. */
  private static void send(RoutingContext ctx, JsonObject problem, int status) {
    HttpServerRequest request = ctx.request();
    if (!request.isEnded()) {
      request.handler(ignored -> { }).exceptionHandler(ignored -> { }).resume();
    }
    if (io.sessionflow.common.ops.ExpectContinue.awaited(request)) {
      ctx.response().putHeader("Connection", "close");
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", Problem.MEDIA_TYPE).end(problem.encode());
  }
}
