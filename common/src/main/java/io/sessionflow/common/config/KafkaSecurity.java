package io.sessionflow.common.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How a stage authenticates to Kafka: plaintext for the embedded broker, TLS and SCRAM for a
 * production cluster (Strimzi's {@code KafkaUser} with {@code scram-sha-512} gives the password
 * in a Secret and the cluster CA as a PEM file).
 *
 * @param protocol      {@code PLAINTEXT}, {@code SSL}, {@code SASL_PLAINTEXT} or {@code SASL_SSL}
 * @param saslMechanism {@code SCRAM-SHA-512}, {@code SCRAM-SHA-256} or {@code PLAIN}, for the SASL protocols
 * @param username      SASL user name, for the SASL protocols
 * @param password      SASL password, for the SASL protocols; never printed
 * @param trustedCa     PEM file of the CA that signed the brokers' certificates; empty uses the JVM's
 */
public record KafkaSecurity(String protocol, String saslMechanism, String username, String password,
    Optional<Path> trustedCa) {

  public static final KafkaSecurity PLAINTEXT = new KafkaSecurity("PLAINTEXT", "SCRAM-SHA-512", "", "",
      Optional.empty());

  private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  private static final Set<String> MECHANISMS = Set.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN");

  public static final Setting<String> PROTOCOL = Setting.string("kafka-security-protocol",
      "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
      .map(raw -> oneOf(raw, PROTOCOLS));
  public static final Setting<String> SASL_MECHANISM = Setting.string("kafka-sasl-mechanism",
      "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (SASL protocols)")
      .map(raw -> oneOf(raw, MECHANISMS));
  public static final Setting<String> USERNAME = Setting.string("kafka-sasl-username", "KAFKA_SASL_USERNAME", "",
      "SASL user name (SASL protocols)");
  public static final Setting<String> PASSWORD = Setting.secret("kafka-sasl-password", "KAFKA_SASL_PASSWORD", "",
      "SASL password (SASL protocols)");
  public static final Setting<String> TRUSTED_CA = Setting.string("kafka-trusted-ca", "KAFKA_TRUSTED_CA", "",
      "PEM file of the brokers' CA (SSL protocols); empty uses the JVM's trust store");

  public static final List<Setting<?>> SETTINGS = List.of(PROTOCOL, SASL_MECHANISM, USERNAME, PASSWORD, TRUSTED_CA);

  public static KafkaSecurity from(ConfigSource source) {
    String protocol = source.get(PROTOCOL);
    String username = source.get(USERNAME).trim();
    String password = source.get(PASSWORD);
    if (protocol.startsWith("SASL_") && (username.isEmpty() || password.isEmpty())) {
      throw new ConfigException("Missing setting --" + (username.isEmpty() ? USERNAME.flag() + " (env "
          + USERNAME.env() : PASSWORD.flag() + " (env " + PASSWORD.env()) + "): required with " + protocol);
    }
    String ca = source.get(TRUSTED_CA).trim();
    Optional<Path> trustedCa = Optional.empty();
    if (!ca.isEmpty()) {
      Path path = Path.of(ca);
      if (!Files.isReadable(path)) {
        throw new ConfigException("Invalid setting --" + TRUSTED_CA.flag() + " (env " + TRUSTED_CA.env() + ") = "
            + ca + ": not a readable file");
      }
      trustedCa = Optional.of(path);
    }
    return new KafkaSecurity(protocol, source.get(SASL_MECHANISM), username, password, trustedCa);
  }

  /** The client properties (producer, consumer and admin alike) this security asks for. */
  public Map<String, Object> clientProperties() {
    Map<String, Object> props = new HashMap<>();
    props.put("security.protocol", protocol);
    if (protocol.startsWith("SASL_")) {
      props.put("sasl.mechanism", saslMechanism);
      String module = "PLAIN".equals(saslMechanism) ? "org.apache.kafka.common.security.plain.PlainLoginModule"
          : "org.apache.kafka.common.security.scram.ScramLoginModule";
      props.put("sasl.jaas.config", module + " required username=\"" + jaasEscape(username) + "\" password=\""
          + jaasEscape(password) + "\";");
    }
    if (protocol.endsWith("SSL") && trustedCa.isPresent()) {
      props.put("ssl.truststore.type", "PEM");
      props.put("ssl.truststore.location", trustedCa.get().toString());
    }
    return props;
  }

  private static String oneOf(String raw, Set<String> allowed) {
    String value = raw.trim().toUpperCase(Locale.ROOT);
    if (!allowed.contains(value)) {
      throw new IllegalArgumentException("expected one of " + String.join(", ", allowed.stream().sorted().toList()));
    }
    return value;
  }

  private static String jaasEscape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  @Override
  public String toString() {
    return "KafkaSecurity[protocol=" + protocol + (protocol.startsWith("SASL_") ? ", mechanism=" + saslMechanism
        + ", username=" + username : "") + trustedCa.map(ca -> ", trustedCa=" + ca).orElse("") + "]";
  }
}
