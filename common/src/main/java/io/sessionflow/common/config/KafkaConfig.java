package io.sessionflow.common.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a stage reaches Kafka and how the pipeline's topics are created.
 *
 * @param bootstrapServers  comma-separated host:port list
 * @param partitions        partitions for each pipeline topic when it is created
 * @param replicationFactor replicas for each topic when it is created
 * @param clientId          prefix of client ids, so broker logs say which stage spoke
 * @param security          how the stage authenticates to the brokers
 */
public record KafkaConfig(String bootstrapServers, int partitions, short replicationFactor, String clientId,
    KafkaSecurity security) {

  public static final Setting<String> BOOTSTRAP_SERVERS = Setting.string("kafka-bootstrap-servers",
      "KAFKA_BOOTSTRAP_SERVERS", null, "Kafka bootstrap servers, host:port[,host:port...]")
      .map(KafkaConfig::validateBootstrap);
  public static final Setting<Integer> PARTITIONS = Setting.integer("kafka-partitions", "KAFKA_PARTITIONS", 6, 1,
      1000, "Partitions per pipeline topic when Sessionflow creates it (bounds consumer parallelism)");
  public static final Setting<Integer> REPLICATION = Setting.integer("kafka-replication-factor",
      "KAFKA_REPLICATION_FACTOR", 3, 1, 7, "Replicas per topic when Sessionflow creates it");
  public static final Setting<String> CLIENT_ID = Setting.string("kafka-client-id", "KAFKA_CLIENT_ID", "sessionflow",
      "Prefix of Kafka client ids");

  public static final List<Setting<?>> SETTINGS = settings();

  /** Plaintext, as the embedded broker speaks. */
  public KafkaConfig(String bootstrapServers, int partitions, short replicationFactor, String clientId) {
    this(bootstrapServers, partitions, replicationFactor, clientId, KafkaSecurity.PLAINTEXT);
  }

  public static KafkaConfig from(ConfigSource source) {
    return new KafkaConfig(source.get(BOOTSTRAP_SERVERS), source.get(PARTITIONS),
        source.get(REPLICATION).shortValue(), source.get(CLIENT_ID), KafkaSecurity.from(source));
  }

  /** Bootstrap servers and security, the properties every producer, consumer and admin client starts from. */
  public Map<String, Object> clientProperties() {
    Map<String, Object> props = new HashMap<>(security.clientProperties());
    props.put("bootstrap.servers", bootstrapServers);
    return props;
  }

  private static List<Setting<?>> settings() {
    List<Setting<?>> all = new ArrayList<>(List.of(BOOTSTRAP_SERVERS, PARTITIONS, REPLICATION, CLIENT_ID));
    all.addAll(KafkaSecurity.SETTINGS);
    return List.copyOf(all);
  }

  private static String validateBootstrap(String raw) {
    String trimmed = raw.trim();
    for (String server : trimmed.split(",")) {
      int colon = server.lastIndexOf(':');
      if (colon <= 0 || colon == server.length() - 1) {
        throw new IllegalArgumentException("expected host:port pairs separated by commas");
      }
      try {
        int port = Integer.parseInt(server.substring(colon + 1).trim());
        if (port < 1 || port > 65_535) {
          throw new IllegalArgumentException("port out of range in '" + server + "'");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port is not a number in '" + server + "'", e);
      }
    }
    return trimmed;
  }
}
