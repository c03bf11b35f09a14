package io.sessionflow.ingest.webhook;

import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.runtime.StageRuntime;
import io.sessionflow.ingest.audit.AuditLog;
import io.vertx.ext.web.Router;
import java.util.Optional;
import java.util.function.Function;

/** The ingest's webhooks, put together: routes for the admin, the dispatcher that delivers. */
public final class Webhooks implements AutoCloseable {
  private final WebhookDispatcher dispatcher;
  private final WebhookRoutes routes;

  public Webhooks(StageRuntime runtime, String bucket, WebhookSettings settings, AuditLog audit,
      Function<String, Optional<WebhookEvent.Owners>> owners) {
    WebhookStore store = new WebhookStore(runtime.store(), bucket);
    WebhookTargets targets = new WebhookTargets(settings);
    this.dispatcher = new WebhookDispatcher(runtime.vertx(), store, targets,
        new WebhookSender(runtime.vertx(), settings.timeout()), runtime.kek(), runtime.clock(),
        settings, owners, audit, runtime.registry());
    this.routes = new WebhookRoutes(store, dispatcher, targets, audit, runtime.clock(), runtime.blocking());
  }

  public void mount(Router router) {
    routes.mount(router);
  }

  /** Starts delivering; call once the recordings' owners can be looked up (the status view caught up). */
  public void start(EventStream events) {
    dispatcher.start(events);
  }

  /** Delivers an event of the ingest's own (an import's end). */
  public void publish(WebhookEvent event) {
    dispatcher.enqueue(event).exceptionally(error -> {
      org.slf4j.LoggerFactory.getLogger(Webhooks.class).warn("webhook event {} not stored: {}", event.type(),
          io.sessionflow.common.failure.Failures.reason(error));
      return null;
    });
  }

  @Override
  public void close() {
    dispatcher.close();
  }
}
