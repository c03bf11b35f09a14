package io.sessionflow.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {
  private static final String BOOTSTRAP = "kafka-bootstrap:9093";

  @Test
  void plaintextByDefault() {
    KafkaConfig config = KafkaConfig.from(ConfigSource.of(Map.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP)));
    assertThat(config.clientProperties())
        .containsEntry("bootstrap.servers", BOOTSTRAP)
        .containsEntry("security.protocol", "PLAINTEXT")
        .doesNotContainKeys("sasl.jaas.config", "ssl.truststore.location");
  }

  @Test
  void scramOverTlsWithTheClusterCa(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    KafkaConfig config = KafkaConfig.from(ConfigSource.of(Map.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP,
        "KAFKA_SECURITY_PROTOCOL", "sasl_ssl", "KAFKA_SASL_USERNAME", "sessionflow-ingest",
        "KAFKA_SASL_PASSWORD", "p\"w\\d", "KAFKA_TRUSTED_CA", ca.toString())));
    assertThat(config.clientProperties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required"
            + " username=\"sessionflow-ingest\" password=\"p\\\"w\\\\d\";")
        .containsEntry("ssl.truststore.type", "PEM")
        .containsEntry("ssl.truststore.location", ca.toString());
    assertThat(config.toString()).contains("sessionflow-ingest").doesNotContain("p\"w");
  }

  @Test
  void saslWithoutCredentialsStopsWithOneClearLine() {
    assertThatThrownBy(() -> KafkaConfig.from(ConfigSource.of(Map.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP,
        "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_USERNAME", "sessionflow-ingest"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Missing setting --kafka-sasl-password (env KAFKA_SASL_PASSWORD): required with SASL_SSL");
  }

  @Test
  void unknownProtocolAndMissingCaFileAreRejected(@TempDir Path dir) {
    assertThatThrownBy(() -> KafkaConfig.from(ConfigSource.of(Map.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP,
        "KAFKA_SECURITY_PROTOCOL", "TLS"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("expected one of PLAINTEXT, SASL_PLAINTEXT, SASL_SSL, SSL");
    assertThatThrownBy(() -> KafkaConfig.from(ConfigSource.of(Map.of(), Map.of("KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP,
        "KAFKA_SECURITY_PROTOCOL", "SSL", "KAFKA_TRUSTED_CA", dir.resolve("absent.crt").toString()))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("not a readable file");
  }
}
