package io.sessionflow.common.kafka.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.event.EventCodec;
import io.sessionflow.common.event.Events;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.failure.Failures;
import io.sessionflow.common.kafka.ConsumedEvent;
import io.sessionflow.common.kafka.EventHandler;
import io.sessionflow.common.kafka.EventPublisher;
import io.sessionflow.common.kafka.EventStream;
import io.sessionflow.common.kafka.KafkaException;
import io.sessionflow.common.kafka.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.kafka.receiver.KafkaReceiver;
import reactor.kafka.receiver.ReceiverOptions;
import reactor.kafka.receiver.ReceiverRecord;
import reactor.kafka.sender.KafkaSender;
import reactor.kafka.sender.SenderOptions;
import reactor.kafka.sender.SenderRecord;
import reactor.util.retry.Retry;

/** {@link EventStream} on Reactor Kafka 1.3 and kafka-clients 3.9. */
public final class ReactorEventStream implements EventStream, EventPublisher {
  private static final Logger LOG = LoggerFactory.getLogger(ReactorEventStream.class);
  /** Partitions handled at once per consumer; each partition is sequential. */
  private static final int MAX_PARALLEL_PARTITIONS = 1024;

  private final KafkaConfig config;
  private final MeterRegistry registry;
  private final Clock clock;
  private final KafkaSender<String, byte[]> sender;
  private final Scheduler handlerScheduler;

  public ReactorEventStream(KafkaConfig config, MeterRegistry registry, Clock clock) {
    this.config = config;
    this.registry = registry;
    this.clock = clock;
    this.handlerScheduler = Schedulers.newBoundedElastic(4, 10_000, config.clientId() + "-kafka-handlers");
    Map<String, Object> producer = new HashMap<>(config.clientProperties());
    producer.put(ProducerConfig.CLIENT_ID_CONFIG, config.clientId() + "-producer");
    producer.put(ProducerConfig.ACKS_CONFIG, "all");
    producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    producer.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    producer.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    this.sender = KafkaSender.create(SenderOptions.<String, byte[]>create(producer).stopOnError(false));
  }

  @Override
  public EventPublisher publisher() {
    return this;
  }

  @Override
  public CompletableFuture<Void> publish(PipelineEvent event) {
    String topic = event.topic().topicName();
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, event.key(), EventCodec.encode(event));
    return sender.send(Mono.just(SenderRecord.create(record, event.key())))
        .next()
        .switchIfEmpty(Mono.error(() -> new KafkaException("no send result for " + topic, true, null)))
        .flatMap(result -> result.exception() == null ? Mono.<Void>empty()
            : Mono.error(new KafkaException("publish to " + topic + " failed for key " + event.key(),
                Failures.isRetryable(result.exception()), result.exception())))
        .onErrorMap(e -> !(e instanceof KafkaException),
            e -> new KafkaException("publish to " + topic + " failed for key " + event.key(),
                Failures.isRetryable(e), e))
        .toFuture();
  }

  @Override
  public Consumer subscribe(Subscription subscription, EventHandler handler) {
    Map<String, Object> props = consumerProps(subscription.groupId(), subscription.stage());
    // Fetch only a few records beyond what can be handled at once: the backlog stays in Kafka.
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(500, subscription.maxInFlight() + 4));
    ReceiverOptions<String, byte[]> options = ReceiverOptions.<String, byte[]>create(props)
        .subscription(subscription.topics().stream().map(Topic::topicName).collect(Collectors.toSet()))
        .commitInterval(Duration.ofMillis(200))
        .addAssignListener(parts -> LOG.info("stage={} group={} assigned {} partitions", subscription.stage(),
            subscription.groupId(), parts.size()))
        .addRevokeListener(parts -> LOG.info("stage={} group={} revoked {} partitions", subscription.stage(),
            subscription.groupId(), parts.size()));
    Counter deadLetters = Counter.builder("sessionflow.dead.letters")
        .description("Records a stage gave up on and sent to sessionflow.recording.failed")
        .tag("stage", subscription.stage())
        .register(registry);
    RecordProcessor processor = new RecordProcessor(subscription, handler, deadLetters,
        new AsyncPermits(subscription.maxInFlight()));
    Disposable running = KafkaReceiver.create(options)
        .receive()
        .groupBy(record -> record.receiverOffset().topicPartition())
        .flatMap(partition -> partition.concatMap(processor::process), MAX_PARALLEL_PARTITIONS)
        .subscribe(null, error -> LOG.error("stage={} consumer stopped: {}", subscription.stage(),
            Failures.reason(error)));
    return new RunningConsumer(running, null);
  }

  @Override
  public Replay replay(Set<Topic> topics, EventHandler handler) {
    // A group of its own that never commits: every replay starts from the beginning.
    Map<String, Object> props = consumerProps(config.clientId() + "-replay-" + UUID.randomUUID(), "replay");
    Set<String> names = topics.stream().map(Topic::topicName).collect(Collectors.toSet());
    Map<TopicPartition, Long> remaining = new ConcurrentHashMap<>(endOffsets(props, names));
    remaining.values().removeIf(end -> end == 0);
    CompletableFuture<Void> caughtUp = new CompletableFuture<>();
    if (remaining.isEmpty()) {
      caughtUp.complete(null);
    }
    ReceiverOptions<String, byte[]> options = ReceiverOptions.<String, byte[]>create(props).subscription(names);
    Disposable running = KafkaReceiver.create(options)
        .receive()
        .groupBy(record -> record.receiverOffset().topicPartition())
        .flatMap(partition -> partition.concatMap(record -> Mono.fromCallable(() -> EventCodec.decode(record.value()))
            .flatMap(event -> Mono.fromCompletionStage(() -> handler.handle(
                new ConsumedEvent(event, record.topic(), record.partition(), record.offset(), 1))))
            .onErrorResume(error -> {
              LOG.warn("replay skipped {}@{}: {}", record.topic(), record.offset(), Failures.reason(error));
              return Mono.empty();
            })
            .doFinally(signal -> {
              TopicPartition tp = record.receiverOffset().topicPartition();
              if (remaining.computeIfPresent(tp, (k, end) -> record.offset() + 1 >= end ? null : end) == null
                  && remaining.isEmpty()) {
                caughtUp.complete(null);
              }
            })), MAX_PARALLEL_PARTITIONS)
        .subscribe(null, error -> {
          LOG.error("replay stopped: {}", Failures.reason(error));
          caughtUp.completeExceptionally(error);
        });
    return new RunningConsumer(running, caughtUp);
  }

  private Map<String, Object> consumerProps(String groupId, String clientSuffix) {
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, config.clientId() + "-" + clientSuffix);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Manual commits only: an offset moves only after the work for it is durable.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return props;
  }

  private static Map<TopicPartition, Long> endOffsets(Map<String, Object> props, Set<String> topics) {
    try (KafkaConsumer<String, byte[]> probe = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        probe.partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
      }
      return new HashMap<>(probe.endOffsets(partitions, Duration.ofSeconds(30)));
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new KafkaException("cannot read end offsets of " + topics, true, e);
    }
  }

  @Override
  public void close() {
    sender.close();
    handlerScheduler.dispose();
  }

  /** A subscription or replay: disposing the receive pipeline closes the Kafka consumer. */
  private record RunningConsumer(Disposable running, CompletableFuture<Void> caughtUp) implements Replay {
    @Override
    public void close() {
      running.dispose();
    }

    @Override
    public boolean isRunning() {
      return !running.isDisposed();
    }
  }

  /** receive → decode → handle (with retries) → dead-letter on give-up → acknowledge. */
  private final class RecordProcessor {
    private final Subscription subscription;
    private final EventHandler handler;
    private final Counter deadLetters;
    private final AsyncPermits inFlight;

    RecordProcessor(Subscription subscription, EventHandler handler, Counter deadLetters, AsyncPermits inFlight) {
      this.subscription = subscription;
      this.handler = handler;
      this.deadLetters = deadLetters;
      this.inFlight = inFlight;
    }

    /** Waits for a free place (no thread waits), then handles; the place is freed however it ends. */
    Mono<Void> process(ReceiverRecord<String, byte[]> record) {
      return Mono.usingWhen(inFlight.acquire(), permit -> handle(record),
          permit -> Mono.fromRunnable(permit::release));
    }

    private Mono<Void> handle(ReceiverRecord<String, byte[]> record) {
      AtomicInteger attempts = new AtomicInteger();
      return Mono.fromCallable(() -> EventCodec.decode(record.value()))
          .flatMap(event -> handleWithRetries(record, event, attempts))
          .onErrorResume(error -> deadLetter(record, error, Math.max(1, attempts.get())))
          .then(Mono.fromRunnable(() -> record.receiverOffset().acknowledge()));
    }

    private Mono<Void> handleWithRetries(ReceiverRecord<String, byte[]> record, PipelineEvent event,
        AtomicInteger attempts) {
      return Mono.defer(() -> {
        ConsumedEvent consumed = new ConsumedEvent(event, record.topic(), record.partition(), record.offset(),
            attempts.incrementAndGet());
        return Mono.fromCompletionStage(() -> handler.handle(consumed)).subscribeOn(handlerScheduler);
      }).then().retryWhen(Retry.backoff(subscription.maxAttempts() - 1L, subscription.firstBackoff())
          .maxBackoff(subscription.maxBackoff())
          .filter(subscription.retryable())
          .doBeforeRetry(signal -> LOG.warn("stage={} key={} attempt {} failed, retrying: {}",
              subscription.stage(), record.key(), signal.totalRetries() + 1, Failures.reason(signal.failure())))
          .onRetryExhaustedThrow((spec, signal) -> signal.failure()));
    }

    private Mono<Void> deadLetter(ReceiverRecord<String, byte[]> record, Throwable error, int attempts) {
      Throwable cause = Exceptions.unwrap(error);
      String key = record.key() == null ? "unknown" : record.key();
      String reason = Failures.reason(cause);
      LOG.warn("stage={} key={} topic={} offset={} dead-lettered after {} attempt(s): {}", subscription.stage(),
          key, record.topic(), record.offset(), attempts, reason);
      Topic source = Topic.byName(record.topic()).orElse(Topic.RECORDING_FAILED);
      RecordingFailedEvent failed = Events.failed(clock, key, subscription.stage(), reason, attempts, source);
      // A dead letter must not be lost: keep trying until Kafka takes it, and only then move on.
      return Mono.defer(() -> Mono.fromFuture(publish(failed)))
          .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(500)).maxBackoff(Duration.ofSeconds(30)))
          .doOnSuccess(ignored -> deadLetters.increment());
    }
  }
}
