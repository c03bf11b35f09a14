package io.sessionflow.ingest.webhook;

import com.google.crypto.tink.Aead;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.Subscription;
import io.sessionflow.ingest.audit.AuditLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a recording's life to its practice's webhook endpoints, at least once.
 *
 * <p>A consumer group reads the pipeline's topics; for each event every endpoint of the practice
 * that wants it gets a delivery, stored durably before the offset is committed (so a crash never
 * loses one, and a redelivered event writes the same deliveries again: their ids derive from the
 * event and the endpoint). Deliveries are then sent from the store, not from the consumer: a slow
 * or dead endpoint never holds up the topics, and retries (exponential backoff, for the retry
 * period after the event) survive restarts. Each practice has its own small pool of deliveries
 * in flight, so one practice's slow endpoint cannot delay another's. Every attempt is logged for
 * the admin; an endpoint that failed every attempt for the whole retry period is disabled, with
 * an audit entry. Several replicas may attempt the same retry (receivers dedupe on webhook-id).
 */
public final class WebhookDispatcher implements AutoCloseable {
  static final String GROUP = "sessionflow-webhooks";
  static final Duration FIRST_RETRY = Duration.ofSeconds(5);
  static final Duration MAX_RETRY = Duration.ofHours(1);
  private static final Duration SCAN_EVERY = Duration.ofSeconds(1);
  /** Tries of an event whose recording's owners the view does not know yet (about a minute), then it is skipped. */
  static final int OWNER_ATTEMPTS = 8;
  /**
   * A new delivery is sent at once by the replica that stored it; the others' scans leave it alone
   * this long, so it is not sent by each of them.
   */
  static final Duration FIRST_ATTEMPT_LEASE = Duration.ofSeconds(60);
  private static final Duration ENDPOINT_CACHE = Duration.ofSeconds(10);
  private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);
  private final Vertx vertx;
  private final Context context;
  private final WebhookStore store;
  private final WebhookTargets targets;
  private final WebhookSender sender;
  private final Aead kek;
  private final java.util.concurrent.ExecutorService resolvers = java.util.concurrent.Executors.newFixedThreadPool(4,
      runnable -> {
        Thread thread = new Thread(runnable, "webhook-resolver");
        thread.setDaemon(true);
        return thread;
      });
  private final Clock clock;
  private final WebhookSettings settings;
  private final Function<String, Optional<WebhookEvent.Owners>> owners;
  private final AuditLog audit;
  private final MeterRegistry registry;
  private final Timer latency;
  private final Map<String, byte[]> secrets = new ConcurrentHashMap<>();
  private final Map<String, CachedEndpoints> endpoints = new ConcurrentHashMap<>();
  // Confined to the dispatcher's context:
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Map<String, ArrayDeque<WebhookDelivery>> queued = new HashMap<>();
  private final Set<String> busy = new HashSet<>();
  private volatile long oldestPendingMillis = -1;
  private volatile int pendingCount;
  private boolean scanning;
  private long timer = -1;
  private EventStream.Consumer consumer;
  private boolean closed;

  private record CachedEndpoints(Instant at, List<WebhookEndpoint> endpoints) {
  }

  WebhookDispatcher(Vertx vertx, WebhookStore store, WebhookTargets targets, WebhookSender sender, Aead kek,
      Clock clock, WebhookSettings settings,
      Function<String, Optional<WebhookEvent.Owners>> owners, AuditLog audit, MeterRegistry registry) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.store = store;
    this.targets = targets;
    this.sender = sender;
    this.kek = kek;
    this.clock = clock;
    this.settings = settings;
    this.owners = owners;
    this.audit = audit;
    this.registry = registry;
    this.latency = Timer.builder("sessionflow.webhook.delivery.latency")
        .description("Time from sending a webhook to its endpoint's answer")
        .serviceLevelObjectives(Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10))
        .register(registry);
    // Every outcome exists from the start, so rates and alerts read 0 rather than nothing.
    for (String outcome : List.of("delivered", "failed", "given_up", "dropped")) {
      counter(outcome);
    }
    Gauge.builder("sessionflow.webhook.undelivered.oldest.age.seconds", this, d -> d.oldestPendingMillis < 0 ? 0
        : Math.max(0, (clock.millis() - d.oldestPendingMillis) / 1000.0))
        .description("Age of the oldest webhook delivery not yet made or given up").register(registry);
    Gauge.builder("sessionflow.webhook.pending", this, d -> d.pendingCount)
        .description("Webhook deliveries waiting for an attempt or a retry").register(registry);
  }

  /** Starts consuming the topics and sending what is pending (nothing once closed: the server may close first). */
  synchronized void start(EventStream events) {
    if (closed) {
      return;
    }
    // Never dead-lettered: a dead letter is a recording.failed event, and a webhook store that is down says
    // nothing about the recording. Such an event waits (uncommitted, retried) until storage is back.
    consumer = events.subscribe(new Subscription(GROUP, java.util.Set.of(Topic.RECORDING_STORED,
        Topic.TRANSCRIPT_READY, Topic.ANALYSIS_READY, Topic.RECORDING_FAILED, Topic.AUDIO_PURGED), "webhooks",
        Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofSeconds(30), error -> true, 256), this::handle);
    context.runOnContext(v -> timer = vertx.setPeriodic(SCAN_EVERY.toMillis(), id -> scan()));
  }

  /** Stores a delivery for every endpoint that wants the event; completes once all are durable. */
  CompletionStage<Void> handle(ConsumedEvent consumed) {
    Optional<WebhookEvent> event = WebhookEvent.of(consumed, owners);
    if (event.isEmpty() && WebhookEvent.needsOwners(consumed.event()) && consumed.attempt() < OWNER_ATTEMPTS) {
      // The status view has not read the recording's recording.stored yet (topics are not ordered together).
      return CompletableFuture.failedFuture(new IllegalStateException("owners of the recording not known yet"));
    }
    return event.isEmpty() ? CompletableFuture.completedFuture(null) : enqueue(event.get());
  }

  /** As {@link #handle} for an event of the ingest's own (an import's end). */
  public CompletableFuture<Void> enqueue(WebhookEvent event) {
    return endpointsOf(event.practiceId()).thenCompose(list -> {
      String payload = event.payload().encode();
      Instant now = clock.instant();
      List<CompletableFuture<Void>> stored = list.stream().filter(e -> e.wants(event.type())).map(endpoint -> {
        WebhookDelivery delivery = new WebhookDelivery(WebhookEvent.digest(event.id() + "/" + endpoint.id()),
            event.id(), event.practiceId(), endpoint.id(), event.type(), event.recordingId(), payload, now, 0,
            now.plus(FIRST_ATTEMPT_LEASE));
        return store.savePending(delivery).thenRun(() -> context.runOnContext(v -> submit(delivery)));
      }).toList();
      return CompletableFuture.allOf(stored.toArray(CompletableFuture[]::new));
    });
  }

  private CompletableFuture<List<WebhookEndpoint>> endpointsOf(String practiceId) {
    CachedEndpoints cached = endpoints.get(practiceId);
    if (cached != null && cached.at().plus(ENDPOINT_CACHE).isAfter(clock.instant())) {
      return CompletableFuture.completedFuture(cached.endpoints());
    }
    return store.endpoints(practiceId).thenApply(list -> {
      endpoints.put(practiceId, new CachedEndpoints(clock.instant(), list));
      return list;
    });
  }

  /** An endpoint was registered, changed or removed here: the next event reads the practice's list again. */
  void changed(String practiceId) {
    endpoints.remove(practiceId);
  }

  private void scan() {
    if (scanning) {
      return;
    }
    scanning = true;
    Future.fromCompletionStage(store.pending(), context).onComplete(listed -> {
      scanning = false;
      if (listed.failed()) {
        LOG.warn("webhook deliveries could not be listed: {}", Failures.reason(listed.cause()));
        return;
      }
      Instant now = clock.instant();
      pendingCount = listed.result().size();
      oldestPendingMillis = listed.result().stream().mapToLong(d -> d.createdAt().toEpochMilli()).min().orElse(-1);
      listed.result().stream().filter(d -> !d.nextAttemptAt().isAfter(now)).forEach(this::submit);
    });
  }

  /** Queues a due delivery on its practice's pool (once: one already queued or in flight is left alone). */
  private void submit(WebhookDelivery delivery) {
    if (!busy.add(delivery.id())) {
      return;
    }
    queued.computeIfAbsent(delivery.practiceId(), p -> new ArrayDeque<>()).add(delivery);
    drain(delivery.practiceId());
  }

  private void drain(String practiceId) {
    ArrayDeque<WebhookDelivery> waiting = queued.get(practiceId);
    while (waiting != null && !waiting.isEmpty() && inFlight.getOrDefault(practiceId, 0)
        < settings.practiceConcurrency()) {
      WebhookDelivery next = waiting.poll();
      inFlight.merge(practiceId, 1, Integer::sum);
      attempt(next).onComplete(done -> {
        if (done.failed()) {
          LOG.warn("webhook delivery {} could not be recorded: {}", next.id(), Failures.reason(done.cause()));
        }
        inFlight.merge(practiceId, -1, Integer::sum);
        busy.remove(next.id());
        drain(practiceId);
      });
    }
    if (waiting != null && waiting.isEmpty()) {
      queued.remove(practiceId);
    }
  }

  private Future<Void> attempt(WebhookDelivery delivery) {
    return on(store.endpoint(delivery.practiceId(), delivery.endpointId())).compose(found -> {
      if (found.isEmpty() || !found.get().enabled()) {
        // Removed or disabled since: nothing more is sent to it.
        outcome("dropped");
        return on(store.deletePending(delivery));
      }
      WebhookEndpoint endpoint = found.get();
      return target(endpoint).compose(target -> sender.send(target.uri(), target.address(), target.secret(),
              delivery.messageId(), clock.instant(), delivery.payload()))
          .recover(refused -> Future.succeededFuture(new WebhookSender.Outcome(0, refused instanceof
              IllegalArgumentException ? "refused: " + refused.getMessage() : "not sent: " + Failures.reason(refused),
              0)))
          .compose(result -> settle(delivery, endpoint, result));
    });
  }

  private record Target(URI uri, InetAddress address, byte[] secret) {
  }

  /** Checks and resolves the endpoint's URL (every time: DNS may have changed) and unseals its secret. */
  private Future<Target> target(WebhookEndpoint endpoint) {
    // On the dispatcher's own threads, with a deadline: a slow resolver never holds the upload path's pool.
    return on(CompletableFuture.supplyAsync(() -> {
      URI uri = targets.parse(endpoint.url());
      InetAddress address = targets.resolve(uri);
      byte[] secret = secrets.computeIfAbsent(endpoint.id(), id -> unseal(endpoint));
      return new Target(uri, address, secret);
    }, resolvers).orTimeout(settings.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS));
  }

  private Future<Void> settle(WebhookDelivery delivery, WebhookEndpoint endpoint, WebhookSender.Outcome result) {
    Instant now = clock.instant();
    int attempt = delivery.attempts() + 1;
    JsonObject logged = new JsonObject().put("status", result.status() == 0 ? null : result.status())
        .put("latencyMs", result.millis());
    if (result.error() != null) {
      logged.put("error", result.error());
    }
    if (result.delivered()) {
      latency.record(Duration.ofMillis(result.millis()));
      outcome("delivered");
      logged.put("outcome", "delivered");
      Future<Void> recovered = endpoint.failingSince() == null ? Future.succeededFuture()
          : save(endpoint.failing(null));
      return on(store.log(delivery, attempt, now, logged)).compose(v -> on(store.deletePending(delivery)))
          .compose(v -> recovered);
    }
    Instant failingSince = endpoint.failingSince() == null ? now : endpoint.failingSince();
    Future<Void> endpointState;
    if (!now.isBefore(failingSince.plus(settings.retryFor()))) {
      endpointState = save(endpoint.disabled(now)).onSuccess(v -> {
        audit.record("webhooks", "system", "webhook.disable", "webhook", endpoint.id(),
            "failing-since:" + failingSince);
        LOG.warn("webhook endpoint {} of practice {} disabled: every delivery failed since {}", endpoint.id(),
            endpoint.practiceId(), failingSince);
      });
    } else {
      endpointState = endpoint.failingSince() == null ? save(endpoint.failing(now)) : Future.succeededFuture();
    }
    if (!now.isBefore(delivery.createdAt().plus(settings.retryFor()))) {
      outcome("given_up");
      logged.put("outcome", "given-up");
      return on(store.log(delivery, attempt, now, logged)).compose(v -> on(store.deletePending(delivery)))
          .compose(v -> endpointState);
    }
    outcome("failed");
    Instant next = now.plus(backoff(attempt));
    logged.put("outcome", "failed").put("nextAttemptAt", next.toString());
    return on(store.log(delivery, attempt, now, logged)).compose(v -> on(store.savePending(delivery.retryAt(next))))
        .compose(v -> endpointState);
  }

  /** Writes an endpoint's failure state back, unless it was deleted meanwhile (a write would bring it back). */
  private Future<Void> save(WebhookEndpoint endpoint) {
    changed(endpoint.practiceId());
    return on(store.endpoint(endpoint.practiceId(), endpoint.id()))
        .compose(current -> current.isEmpty() ? Future.succeededFuture() : on(store.save(endpoint)));
  }

  /** 5 s, 10 s, 20 s … doubling up to an hour between attempts. */
  static Duration backoff(int failedAttempts) {
    long seconds = FIRST_RETRY.getSeconds() << Math.min(20, Math.max(0, failedAttempts - 1));
    return Duration.ofSeconds(Math.min(seconds, MAX_RETRY.getSeconds()));
  }

  private void outcome(String outcome) {
    counter(outcome).increment();
  }

  private Counter counter(String outcome) {
    return Counter.builder("sessionflow.webhook.deliveries").tag("outcome", outcome)
        .description("Webhook delivery attempts by outcome").register(registry);
  }

  /** A new endpoint's secret, sealed for storage (bound to its practice and id). Blocking. */
  String seal(String practiceId, String endpointId, byte[] secret) {
    try {
      return java.util.Base64.getEncoder().encodeToString(kek.encrypt(secret, binding(practiceId, endpointId)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the webhook secret could not be sealed", e);
    }
  }

  private byte[] unseal(WebhookEndpoint endpoint) {
    try {
      return kek.decrypt(java.util.Base64.getDecoder().decode(endpoint.sealedSecret()),
          binding(endpoint.practiceId(), endpoint.id()));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the secret of webhook endpoint " + endpoint.id() + " does not unseal", e);
    }
  }

  private static byte[] binding(String practiceId, String endpointId) {
    return ("sessionflow-webhook-secret:" + practiceId + ":" + endpointId).getBytes(StandardCharsets.UTF_8);
  }

  private <T> Future<T> on(CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, context);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (consumer != null) {
      consumer.close();
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    sender.close();
    resolvers.shutdownNow();
  }
}
