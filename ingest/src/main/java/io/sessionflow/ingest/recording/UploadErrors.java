package io.sessionflow.ingest.recording;

import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.upload.UploadException;
import io.vertx.ext.web.RoutingContext;

/** Maps upload failures of the plain HTTP endpoints to problem responses. */
final class UploadErrors {
  private UploadErrors() {
  }

  static void respond(RoutingContext ctx, Throwable error) {
    Throwable cause = Failures.unwrap(error);
    if (cause instanceof UploadException ue && ue.kind() == UploadException.Kind.BUSY) {
      ctx.response().putHeader("Retry-After", Long.toString(UploadException.BUSY_RETRY_AFTER_SECONDS));
      Problem.of(503, ue.getMessage()).rejectAndClose(ctx.request());
      return;
    }
    if (cause instanceof UploadException ue) {
      int status = ue.kind().status() == 460 ? 400 : ue.kind().status();
      Problem.of(status, ue.getMessage()).reject(ctx.request());
      return;
    }
    if (Failures.isRetryable(cause)) {
      ctx.response().putHeader("Retry-After", "5");
      Problem.of(503, "Storage or Kafka is briefly unavailable; nothing was kept. "
          + "Send the recording again in a few seconds.").reject(ctx.request());
      return;
    }
    ctx.fail(cause);
  }
}
