package io.sessionflow.common.runtime;

import com.google.crypto.tink.Aead;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sessionflow.common.config.PipelineConfig;
import io.sessionflow.common.crypto.CipherWarmup;
import io.sessionflow.common.crypto.EncryptedObjects;
import io.sessionflow.common.crypto.KeyEncryptionKeys;
import io.sessionflow.common.crypto.RecordingKeys;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.EventStreams;
import io.sessionflow.common.kafka.TopicAdmin;
import io.sessionflow.common.ops.Health;
import io.sessionflow.common.ops.Metrics;
import io.sessionflow.common.storage.ObjectStore;
import io.sessionflow.common.storage.ObjectStores;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a running stage stands on: one Vert.x, one metrics registry, health checks, the Kafka
 * event stream, the object store, the data-key service and a bounded pool for blocking work.
 * Standalone builds one and hands it to every stage; a production stage builds its own. Closing
 * it releases everything in reverse order of creation.
 */
public final class StageRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StageRuntime.class);

  private final PipelineConfig config;
  private final Clock clock;
  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;
  private final Health health;
  private final TopicAdmin topics;
  private final EventStream events;
  private final ObjectStore store;
  private final ExecutorService blocking;
  private final RecordingKeys keys;
  private final Aead kek;
  private final EncryptedObjects objects;
  private final Deque<AutoCloseable> closers = new ArrayDeque<>();

  private StageRuntime(PipelineConfig config, String component, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.vertx = Vertx.vertx();
    closers.push(() -> vertx.close().await(10, TimeUnit.SECONDS));
    this.registry = Metrics.newRegistry(component);
    this.health = Health.withDefaults();
    this.topics = new TopicAdmin(config.kafka());
    closers.push(topics);
    this.events = EventStreams.kafka(config.kafka(), registry, clock);
    closers.push(events);
    this.store = ObjectStores.s3(config.storage());
    closers.push(store);
    this.blocking = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
        named(component + "-blocking"));
    closers.push(() -> {
      blocking.shutdown();
      blocking.awaitTermination(10, TimeUnit.SECONDS);
    });
    CipherWarmup.startInBackground();
    this.kek = KeyEncryptionKeys.load(config.crypto());
    this.keys = new RecordingKeys(store, config.storage().keyBucket(), kek, blocking);
    this.objects = new EncryptedObjects(store, config.storage().bucket());
    health.register("kafka", () -> topics.reachable(Duration.ofSeconds(2)));
    health.register("object-store", () -> store.isReachable(config.storage().bucket()));
  }

  /**
   * Connects to Kafka and object storage and makes sure the topics and buckets exist. Fails with
   * a clear message when either cannot be reached in time.
   */
  public static StageRuntime start(PipelineConfig config, String component, Clock clock, Duration timeout) {
    StageRuntime runtime = new StageRuntime(config, component, clock);
    try {
      runtime.topics.ensureTopics(timeout);
      runtime.store.ensureBucket(config.storage().bucket()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!config.storage().keyBucket().equals(config.storage().bucket())) {
        runtime.store.ensureBucket(config.storage().keyBucket()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      runtime.close();
      throw new StartupException("cannot prepare Kafka topics and storage buckets: "
          + io.sessionflow.common.failure.Failures.reason(e), e);
    }
    LOG.info("{} connected: kafka={} storage={}", component, config.kafka().bootstrapServers(), config.storage());
    return runtime;
  }

  /** Registers something to close before everything created so far (last registered, first closed). */
  public void onClose(AutoCloseable closer) {
    synchronized (closers) {
      closers.push(closer);
    }
  }

  @Override
  public void close() {
    synchronized (closers) {
      while (!closers.isEmpty()) {
        AutoCloseable closer = closers.pop();
        try {
          closer.close();
        } catch (Exception e) {
          LOG.warn("error while shutting down: {}", io.sessionflow.common.failure.Failures.reason(e));
        }
      }
    }
  }

  public PipelineConfig config() {
    return config;
  }

  public Clock clock() {
    return clock;
  }

  public Vertx vertx() {
    return vertx;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public Health health() {
    return health;
  }

  public TopicAdmin topics() {
    return topics;
  }

  public EventStream events() {
    return events;
  }

  public ObjectStore store() {
    return store;
  }

  public ExecutorService blocking() {
    return blocking;
  }

  public RecordingKeys keys() {
    return keys;
  }

  public EncryptedObjects objects() {
    return objects;
  }

  /** The key-encryption key itself, for the few small secrets sealed directly by it (webhook signing secrets). */
  public Aead kek() {
    return kek;
  }

  static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
