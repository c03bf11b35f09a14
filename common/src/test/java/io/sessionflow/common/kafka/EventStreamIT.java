package io.sessionflow.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.embedded.EmbeddedKafkaBroker;
import io.sessionflow.common.event.AuditEvent;
import io.sessionflow.common.event.PipelineEvent;
import io.sessionflow.common.event.RecordingFailedEvent;
import io.sessionflow.common.event.Topic;
import io.sessionflow.common.failure.Retryable;
import io.sessionflow.common.testing.EmbeddedInfra;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Kafka layer against a real KRaft broker: publish, consume, in-order commits, retries, dead letters. */
class EventStreamIT {
  private static EmbeddedKafkaBroker broker;
  private static KafkaConfig config;
  private static TopicAdmin admin;
  private static EventStream events;
  private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();

  @BeforeAll
  static void start() {
    broker = EmbeddedInfra.kafka(EmbeddedInfra.tempDir("kafka-it"));
    config = new KafkaConfig(broker.bootstrapServers(), 1, (short) 1, "it");
    admin = new TopicAdmin(config);
    assertThat(admin.ensureTopics(Duration.ofSeconds(30))).hasSize(Topic.values().length);
    events = EventStreams.kafka(config, REGISTRY, Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    events.close();
    admin.close();
    broker.close();
  }

  private static AuditEvent audit(String resourceId, String action) {
    return new AuditEvent(1, Instant.now(), resourceId + action, "tester", "system", action, "recording", resourceId,
        "ok");
  }

  private static long committed(String group, Topic topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets = admin.admin().listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
    OffsetAndMetadata offset = offsets.get(new TopicPartition(topic.topicName(), 0));
    return offset == null ? 0 : offset.offset();
  }

  private static long endOffset(Topic topic) throws Exception {
    return admin.admin().listOffsets(Map.of(new TopicPartition(topic.topicName(), 0),
        org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS)
        .get(new TopicPartition(topic.topicName(), 0)).offset();
  }

  @Test
  void topicsAreCreatedOnceWithRetentionAndTheAuditTopicKeptForever() throws Exception {
    assertThat(admin.ensureTopics(Duration.ofSeconds(10))).isEmpty();
    var resource = new org.apache.kafka.common.config.ConfigResource(
        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topic.AUDIT.topicName());
    var described = admin.admin().describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
    assertThat(described.get("retention.ms").value()).isEqualTo("-1");
    var stored = new org.apache.kafka.common.config.ConfigResource(
        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topic.RECORDING_STORED.topicName());
    assertThat(admin.admin().describeConfigs(List.of(stored)).all().get(10, TimeUnit.SECONDS).get(stored)
        .get("retention.ms").value()).isEqualTo(Long.toString(Duration.ofDays(14).toMillis()));
  }

  @Test
  void publishedEventIsConsumedAndCommittedOnlyAfterItsWorkCompletes() throws Exception {
    String group = "in-order-" + System.nanoTime();
    long base = endOffset(Topic.AUDIT);
    for (int i = 0; i < 5; i++) {
      events.publisher().publish(audit("r" + i, "commit.order")).get(10, TimeUnit.SECONDS);
    }
    CompletableFuture<Void> third = new CompletableFuture<>();
    List<String> seen = new CopyOnWriteArrayList<>();
    EventStream.Consumer consumer = events.subscribe(Subscription.of(group, "test", Topic.AUDIT), event -> {
      AuditEvent audit = (AuditEvent) event.event();
      if (!"commit.order".equals(audit.action())) {
        return CompletableFuture.completedFuture(null);
      }
      seen.add(audit.resourceId());
      return audit.resourceId().equals("r2") ? third : CompletableFuture.completedFuture(null);
    });
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains("r2"));
      // r0 and r1 are done; r2 is still working: the commit may reach r2's offset but never pass it.
      await().atMost(Duration.ofSeconds(10)).until(() -> committed(group, Topic.AUDIT) >= base + 2);
      assertThat(committed(group, Topic.AUDIT)).isEqualTo(base + 2);
      assertThat(seen).containsExactly("r0", "r1", "r2");
      third.complete(null);
      await().atMost(Duration.ofSeconds(10)).until(() -> committed(group, Topic.AUDIT) == base + 5);
      assertThat(seen).containsExactly("r0", "r1", "r2", "r3", "r4");
    } finally {
      consumer.close();
    }
  }

  @Test
  void aRestartedConsumerResumesAfterTheLastCommittedRecord() throws Exception {
    String group = "resume-" + System.nanoTime();
    events.publisher().publish(audit("a", "resume")).get(10, TimeUnit.SECONDS);
    List<String> first = new CopyOnWriteArrayList<>();
    EventStream.Consumer consumer = events.subscribe(Subscription.of(group, "test", Topic.AUDIT),
        collect(first, "resume"));
    await().atMost(Duration.ofSeconds(30)).until(() -> first.contains("a"));
    long end = endOffset(Topic.AUDIT);
    await().atMost(Duration.ofSeconds(10)).until(() -> committed(group, Topic.AUDIT) == end);
    consumer.close();
    events.publisher().publish(audit("b", "resume")).get(10, TimeUnit.SECONDS);
    List<String> second = new CopyOnWriteArrayList<>();
    EventStream.Consumer again = events.subscribe(Subscription.of(group, "test", Topic.AUDIT),
        collect(second, "resume"));
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> second.contains("b"));
      assertThat(second).containsExactly("b");
    } finally {
      again.close();
    }
  }

  @Test
  void retryableFailuresAreRetriedWithBackoffUntilTheySucceed() throws Exception {
    String group = "retry-" + System.nanoTime();
    events.publisher().publish(audit("flaky", "retry")).get(10, TimeUnit.SECONDS);
    AtomicInteger attempts = new AtomicInteger();
    List<Integer> attemptNumbers = new CopyOnWriteArrayList<>();
    EventStream.Consumer consumer = events.subscribe(
        Subscription.of(group, "test", Topic.AUDIT).withRetries(5, Duration.ofMillis(10), Duration.ofMillis(50)),
        event -> {
          if (!"retry".equals(((AuditEvent) event.event()).action())) {
            return CompletableFuture.completedFuture(null);
          }
          attemptNumbers.add(event.attempt());
          return attempts.incrementAndGet() < 3 ? CompletableFuture.failedFuture(new Transient())
              : CompletableFuture.completedFuture(null);
        });
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> attempts.get() == 3);
      long end = endOffset(Topic.AUDIT);
      await().atMost(Duration.ofSeconds(10)).until(() -> committed(group, Topic.AUDIT) == end);
      assertThat(attemptNumbers).containsExactly(1, 2, 3);
    } finally {
      consumer.close();
    }
  }

  @Test
  void permanentFailuresAndUnreadableRecordsAreDeadLetteredAndTheConsumerMovesOn() throws Exception {
    String group = "dead-" + System.nanoTime();
    long deadBase = endOffset(Topic.RECORDING_FAILED);
    // An unreadable value, then an event whose handling fails for good, then one that succeeds.
    try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
        broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
      raw.send(new ProducerRecord<>(Topic.AUDIT.topicName(), "garbled",
          "not json at all".getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
    }
    events.publisher().publish(audit("poison", "dead")).get(10, TimeUnit.SECONDS);
    events.publisher().publish(audit("fine", "dead")).get(10, TimeUnit.SECONDS);
    Map<String, Integer> calls = new ConcurrentHashMap<>();
    EventStream.Consumer consumer = events.subscribe(
        Subscription.of(group, "test-stage", Topic.AUDIT).withRetries(3, Duration.ofMillis(10), Duration.ofMillis(20)),
        event -> {
          AuditEvent audit = (AuditEvent) event.event();
          calls.merge(audit.resourceId(), 1, Integer::sum);
          if (audit.resourceId().equals("poison")) {
            return CompletableFuture.failedFuture(new IllegalStateException("cannot process"));
          }
          return CompletableFuture.completedFuture(null);
        });
    List<PipelineEvent> dead = new CopyOnWriteArrayList<>();
    EventStream.Consumer deadReader = events.subscribe(Subscription.of("dlq-" + System.nanoTime(), "test",
        Topic.RECORDING_FAILED), e -> {
          if (e.offset() >= deadBase) {
            dead.add(e.event());
          }
          return CompletableFuture.completedFuture(null);
        });
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> calls.containsKey("fine") && dead.size() >= 2);
      // Not retryable: one attempt only.
      assertThat(calls.get("poison")).isEqualTo(1);
      List<RecordingFailedEvent> letters = dead.stream().map(RecordingFailedEvent.class::cast).toList();
      assertThat(letters).extracting(RecordingFailedEvent::recordingId).contains("garbled", "poison");
      RecordingFailedEvent poison = letters.stream().filter(l -> l.recordingId().equals("poison")).findFirst()
          .orElseThrow();
      assertThat(poison.stage()).isEqualTo("test-stage");
      assertThat(poison.attempts()).isEqualTo(1);
      assertThat(poison.reason()).isEqualTo("IllegalStateException");
      assertThat(poison.sourceTopic()).isEqualTo(Topic.AUDIT.topicName());
      RecordingFailedEvent garbled = letters.stream().filter(l -> l.recordingId().equals("garbled")).findFirst()
          .orElseThrow();
      assertThat(garbled.reason()).contains("not JSON").doesNotContain("not json at all");
      long end = endOffset(Topic.AUDIT);
      await().atMost(Duration.ofSeconds(10)).until(() -> committed(group, Topic.AUDIT) == end);
      assertThat(REGISTRY.get("sessionflow.dead.letters").tag("stage", "test-stage").counter().count())
          .isGreaterThanOrEqualTo(2);
    } finally {
      consumer.close();
      deadReader.close();
    }
  }

  @Test
  void retriesRunOutIntoADeadLetterThatCountsTheAttempts() throws Exception {
    String group = "exhaust-" + System.nanoTime();
    long deadBase = endOffset(Topic.RECORDING_FAILED);
    events.publisher().publish(audit("always-down", "exhaust")).get(10, TimeUnit.SECONDS);
    AtomicInteger attempts = new AtomicInteger();
    EventStream.Consumer consumer = events.subscribe(
        Subscription.of(group, "exhaust-stage", Topic.AUDIT).withRetries(3, Duration.ofMillis(10),
            Duration.ofMillis(20)),
        event -> {
          if (!"exhaust".equals(((AuditEvent) event.event()).action())) {
            return CompletableFuture.completedFuture(null);
          }
          attempts.incrementAndGet();
          return CompletableFuture.failedFuture(new Transient());
        });
    List<RecordingFailedEvent> dead = new CopyOnWriteArrayList<>();
    EventStream.Consumer deadReader = events.subscribe(Subscription.of("dlq2-" + System.nanoTime(), "test",
        Topic.RECORDING_FAILED), e -> {
          if (e.offset() >= deadBase && e.event() instanceof RecordingFailedEvent f
              && f.stage().equals("exhaust-stage") && f.recordingId().equals("always-down")) {
            dead.add(f);
          }
          return CompletableFuture.completedFuture(null);
        });
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> !dead.isEmpty());
      assertThat(attempts).hasValue(3);
      assertThat(dead.get(0).attempts()).isEqualTo(3);
      assertThat(dead.get(0).reason()).isEqualTo("Transient: storage briefly unavailable");
    } finally {
      consumer.close();
      deadReader.close();
    }
  }

  @Test
  void aReplayReadsEverythingFromTheBeginningSaysWhenItCaughtUpAndThenFollows() throws Exception {
    String action = "replay-" + System.nanoTime();
    for (int i = 0; i < 3; i++) {
      events.publisher().publish(audit("old" + i, action)).get(10, TimeUnit.SECONDS);
    }
    List<String> seen = new CopyOnWriteArrayList<>();
    EventStream.Replay replay = events.replay(java.util.Set.of(Topic.AUDIT), collect(seen, action));
    try {
      replay.caughtUp().get(30, TimeUnit.SECONDS);
      assertThat(seen).containsExactly("old0", "old1", "old2");
      events.publisher().publish(audit("new", action)).get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("new"));
    } finally {
      replay.close();
    }
  }

  private static EventHandler collect(List<String> into, String action) {
    return event -> {
      AuditEvent audit = (AuditEvent) event.event();
      if (action.equals(audit.action())) {
        into.add(audit.resourceId());
      }
      return CompletableFuture.completedFuture(null);
    };
  }

  private static final class Transient extends RuntimeException implements Retryable {
    private static final long serialVersionUID = 1L;

    Transient() {
      super("storage briefly unavailable");
    }

    @Override
    public boolean retryable() {
      return true;
    }
  }
}
