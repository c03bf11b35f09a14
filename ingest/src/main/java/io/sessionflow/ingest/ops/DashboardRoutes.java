package io.sessionflow.ingest.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sessionflow.common.ops.Problem;
import io.sessionflow.ingest.auth.BearerAuthHandler;
import io.sessionflow.ingest.auth.Role;
import io.sessionflow.ingest.recording.RecordingView;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The built-in live dashboard for the ops role. {@code GET /dashboard} is a page with no data in
 * it; the page reads the ops token from its URL fragment (never sent to the server) and polls
 * {@code GET /v1/ops/dashboard}, a snapshot of this process's metrics and the recordings' states:
 * counts, rates, ages and sizes only, never an id or anything a client said. In standalone every
 * stage shares one registry, so the page shows the whole pipeline; in production, where each
 * stage is its own process, use the Grafana dashboard under {@code k8s/monitoring/}.
 */
public final class DashboardRoutes {
  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist";
  /**
   * Scripts and styles from this origin's files only (nothing inline, nothing evaluated), no
   * framing, no forms, no plugins; the page talks to this origin alone.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private final MeterRegistry registry;
  private final RecordingView view;
  private final Clock clock;
  private final Buffer page;
  private final Buffer script;
  private final Buffer style;

  public DashboardRoutes(MeterRegistry registry, RecordingView view, Clock clock) {
    this.registry = registry;
    this.view = view;
    this.clock = clock;
    this.page = resource("dashboard.html");
    this.script = resource("dashboard.js");
    this.style = resource("dashboard.css");
  }

  private static Buffer resource(String name) {
    try (InputStream in = DashboardRoutes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the ingest jar");
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }

  /** The page and its chart library before authentication; the data after it (mount under /v1/*). */
  public void mountPublic(Router router) {
    router.get("/dashboard").handler(ctx -> serve(ctx, "text/html; charset=utf-8", page));
    router.get("/dashboard/app.js").handler(ctx -> serve(ctx, "text/javascript; charset=utf-8", script));
    router.get("/dashboard/app.css").handler(ctx -> serve(ctx, "text/css; charset=utf-8", style));
    router.get("/dashboard/assets/*").handler(StaticHandler.create(UPLOT).setMaxAgeSeconds(86_400));
  }

  private static void serve(RoutingContext ctx, String contentType, Buffer body) {
    ctx.response().putHeader("Content-Type", contentType).putHeader("Cache-Control", "no-store")
        .putHeader("Referrer-Policy", "no-referrer").putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY").putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .end(body);
  }

  public void mount(Router router) {
    router.get("/v1/ops/dashboard").handler(this::snapshot);
  }

  private void snapshot(RoutingContext ctx) {
    if (BearerAuthHandler.caller(ctx).role() != Role.OPS) {
      new Problem(403, "Forbidden", "The dashboard is for the ops role; ask for an ops token.").send(ctx.response());
      return;
    }
    JsonObject body = new JsonObject().put("at", clock.millis());
    body.put("uploadBytesTotal", sum("sessionflow.upload.bytes"));
    body.put("uploadsActive", sum("sessionflow.uploads.active"));
    body.put("uploadsCompletedTotal", sum("sessionflow.uploads.completed"));
    body.put("transcriptionLagRecords", sum("sessionflow.transcription.lag.records"));
    body.put("transcriptionSlots", sum("sessionflow.transcription.slots"));
    body.put("transcriptionSlotsBusy", sum("sessionflow.transcription.slots.busy"));
    body.put("transcribedAudioSecondsTotal", sum("sessionflow.transcription.audio.seconds"));
    body.put("realtimeFactorMean", mean("sessionflow.transcription.realtime.factor"));
    body.put("purgeDelaySecondsMean", mean("sessionflow.purge.delay"));
    body.put("purgeDelaySecondsMax", max("sessionflow.purge.delay"));
    body.put("rawAudioOldestAgeSeconds", sum("sessionflow.raw.audio.oldest.age.seconds"));
    body.put("rawAudioBytes", sum("sessionflow.raw.audio.bytes"));
    body.put("purgeFailuresTotal", sum("sessionflow.purge.failures"));
    JsonObject deadLetters = new JsonObject();
    registry.find("sessionflow.dead.letters").meters().forEach(meter -> {
      String stage = meter.getId().getTag("stage");
      deadLetters.put(stage == null ? "unknown" : stage, deadLetters.getDouble(stage == null ? "unknown" : stage,
          0.0) + value(meter));
    });
    body.put("deadLettersByStage", deadLetters);
    JsonObject recordings = new JsonObject();
    view.counts().forEach((name, counts) -> recordings.put(name, new JsonObject(Map.copyOf(counts))));
    body.put("recordings", recordings);
    ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
        .end(body.encode());
  }

  private double sum(String name) {
    return registry.find(name).meters().stream().mapToDouble(DashboardRoutes::value).sum();
  }

  private double mean(String name) {
    double total = 0;
    long count = 0;
    for (Meter meter : registry.find(name).meters()) {
      if (meter instanceof Timer timer) {
        total += timer.totalTime(TimeUnit.SECONDS);
        count += timer.count();
      } else if (meter instanceof DistributionSummary summary) {
        total += summary.totalAmount();
        count += summary.count();
      }
    }
    return count == 0 ? 0 : total / count;
  }

  private double max(String name) {
    return registry.find(name).meters().stream().mapToDouble(meter -> meter instanceof Timer timer
        ? timer.max(TimeUnit.SECONDS) : meter instanceof DistributionSummary summary ? summary.max() : 0)
        .max().orElse(0);
  }

  private static double value(Meter meter) {
    if (meter instanceof Counter counter) {
      return counter.count();
    }
    if (meter instanceof FunctionCounter counter) {
      return counter.count();
    }
    if (meter instanceof Gauge gauge) {
      double value = gauge.value();
      return Double.isNaN(value) ? 0 : value;
    }
    if (meter instanceof DistributionSummary summary) {
      return summary.totalAmount();
    }
    return 0;
  }
}
