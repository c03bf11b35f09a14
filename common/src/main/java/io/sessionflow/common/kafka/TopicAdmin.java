package io.sessionflow.common.kafka;

import io.sessionflow.common.config.KafkaConfig;
import io.sessionflow.common.event.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the pipeline's topics where they are missing, and answers whether the cluster is reachable. */
public final class TopicAdmin implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);
  private final KafkaConfig config;
  private final Admin admin;

  public TopicAdmin(KafkaConfig config) {
    this.config = config;
    Map<String, Object> props = new HashMap<>(config.clientProperties());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, config.clientId() + "-admin");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    this.admin = Admin.create(props);
  }

  /** The settings a topic is created with. */
  public static Map<String, String> topicConfig(Topic topic, short replicationFactor) {
    Map<String, String> settings = new HashMap<>();
    settings.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    settings.put(TopicConfig.RETENTION_MS_CONFIG,
        topic.retention().map(d -> Long.toString(d.toMillis())).orElse("-1"));
    if (topic.retention().isEmpty()) {
      settings.put(TopicConfig.RETENTION_BYTES_CONFIG, "-1");
    }
    settings.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(Math.min(2, replicationFactor)));
    return settings;
  }

  /** Creates missing topics; existing ones are left as they are. Returns the names created. */
  public List<String> ensureTopics(Duration timeout) {
    try {
      Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (Topic topic : Topic.values()) {
        if (!existing.contains(topic.topicName())) {
          // The audit chain is one ordered sequence: one partition keeps its order total.
          int partitions = topic == Topic.AUDIT ? 1 : config.partitions();
          missing.add(new NewTopic(topic.topicName(), partitions, config.replicationFactor())
              .configs(topicConfig(topic, config.replicationFactor())));
        }
      }
      List<String> created = new ArrayList<>();
      for (NewTopic topic : missing) {
        try {
          admin.createTopics(List.of(topic)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          created.add(topic.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      if (!created.isEmpty()) {
        LOG.info("created topics {}", created);
      }
      return created;
    } catch (ExecutionException | TimeoutException e) {
      throw new KafkaException("cannot create topics on " + config.bootstrapServers(), true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics", true, e);
    }
  }

  /** Completes with true when a broker answered within the timeout; never fails, never blocks. */
  public CompletableFuture<Boolean> reachable(Duration timeout) {
    CompletableFuture<Boolean> reachable = new CompletableFuture<>();
    admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).nodes()
        .whenComplete((nodes, error) -> reachable.complete(error == null && !nodes.isEmpty()));
    return reachable;
  }

  public Admin admin() {
    return admin;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
