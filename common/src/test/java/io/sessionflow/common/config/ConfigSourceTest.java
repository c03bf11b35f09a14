package io.sessionflow.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigSourceTest {
  private static final Setting<Integer> PORT = Setting.port("port", "SF_PORT", 8080, "HTTP port");

  @Test
  void flagBeatsEnvironmentBeatsDefault() {
    assertThat(ConfigSource.of(Map.of("port", "9000"), Map.of("SF_PORT", "9100")).get(PORT)).isEqualTo(9000);
    assertThat(ConfigSource.of(Map.of(), Map.of("SF_PORT", "9100")).get(PORT)).isEqualTo(9100);
    assertThat(ConfigSource.of(Map.of(), Map.of()).get(PORT)).isEqualTo(8080);
    assertThat(ConfigSource.of(Map.of(), Map.of()).withDefaults(Map.of("port", "7000")).get(PORT)).isEqualTo(7000);
  }

  @Test
  void badValueNamesTheSettingItsSourceAndWhatIsExpected() {
    ConfigSource source = ConfigSource.of(Map.of(), Map.of("SF_PORT", "eighty"));
    assertThatThrownBy(() -> source.get(PORT))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Invalid setting --port (env SF_PORT) = 'eighty' from SF_PORT: expected a whole number");
    assertThatThrownBy(() -> ConfigSource.of(Map.of("port", "70000"), Map.of()).get(PORT))
        .hasMessageContaining("expected a number from 0 to 65535");
  }

  @Test
  void missingRequiredSettingSaysWhatItIsFor() {
    assertThatThrownBy(() -> KafkaConfig.from(ConfigSource.of(Map.of(), Map.of())))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Missing setting --kafka-bootstrap-servers (env KAFKA_BOOTSTRAP_SERVERS)");
  }

  @Test
  void secretsAreNeverEchoed() {
    Setting<Integer> secretNumber = Setting.secret("token", "SF_TOKEN", "", "a secret").map(Integer::parseInt);
    assertThatThrownBy(() -> ConfigSource.of(Map.of(), Map.of("SF_TOKEN", "hunter2")).get(secretNumber))
        .hasMessageContaining("(hidden)")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void parsesDurationsSizesAndBooleans() {
    assertThat(Setting.parseDuration("72h")).isEqualTo(Duration.ofHours(72));
    assertThat(Setting.parseDuration("PT30S")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Setting.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThatThrownBy(() -> Setting.parseDuration("soon")).hasMessageContaining("expected a duration");
    assertThat(ByteSize.parse("8MiB")).isEqualTo(8L << 20);
    assertThat(ByteSize.parse("512k")).isEqualTo(512L << 10);
    assertThat(ByteSize.parse("1048576")).isEqualTo(1L << 20);
    assertThat(ByteSize.format(8L << 20)).isEqualTo("8MiB");
    Setting<Boolean> flag = Setting.bool("gpu", "SF_GPU", false, "use the GPU");
    assertThat(ConfigSource.of(Map.of("gpu", "yes"), Map.of()).get(flag)).isTrue();
    assertThatThrownBy(() -> ConfigSource.of(Map.of("gpu", "maybe"), Map.of()).get(flag))
        .hasMessageContaining("expected true or false");
  }

  @Test
  void storageConfigValidatesBucketEndpointAndPartSize() {
    Map<String, String> env = Map.of("S3_ENDPOINT", "http://127.0.0.1:9000", "S3_BUCKET", "sessionflow-dev");
    StorageConfig ok = StorageConfig.from(ConfigSource.of(Map.of(), env));
    assertThat(ok.endpoint()).hasValueSatisfying(uri -> assertThat(uri.getPort()).isEqualTo(9000));
    assertThat(ok.keyBucket()).isEqualTo("sessionflow-dev");
    assertThatThrownBy(() -> StorageConfig.from(ConfigSource.of(Map.of("s3-bucket", "Bad_Bucket"), Map.of())))
        .hasMessageContaining("--s3-bucket");
    assertThatThrownBy(() -> StorageConfig.from(ConfigSource.of(Map.of("s3-endpoint", "minio:9000"), Map.of())))
        .hasMessageContaining("--s3-endpoint");
    assertThatThrownBy(() -> StorageConfig.from(ConfigSource.of(Map.of("s3-part-size", "1MiB"), Map.of())))
        .hasMessageContaining("expected a size from 5MiB");
    assertThatThrownBy(() -> StorageConfig.from(ConfigSource.of(Map.of("s3-access-key", "AKIA"), Map.of())))
        .hasMessageContaining("--s3-secret-key");
    assertThat(ok.toString()).doesNotContain("secret");
  }

  @Test
  void bootstrapServersMustBeHostPortPairs() {
    assertThat(KafkaConfig.from(ConfigSource.of(Map.of("kafka-bootstrap-servers", "k1:9092,k2:9093"), Map.of()))
        .bootstrapServers()).isEqualTo("k1:9092,k2:9093");
    assertThatThrownBy(() -> KafkaConfig.from(
        ConfigSource.of(Map.of("kafka-bootstrap-servers", "localhost"), Map.of())))
        .hasMessageContaining("expected host:port pairs");
  }

  @Test
  void parsesArgsAndRejectsUnknownFlags() {
    ConfigSource.ParsedArgs args = ConfigSource.parseArgs(List.of("serve", "--port", "9000", "--data-dir=/tmp/x",
        "--verbose"));
    assertThat(args.positional()).containsExactly("serve");
    assertThat(args.flags()).containsEntry("port", "9000").containsEntry("data-dir", "/tmp/x")
        .containsEntry("verbose", "true");
    ConfigSource source = ConfigSource.of(args.flags(), Map.of());
    assertThatThrownBy(() -> source.rejectUnknownFlags(List.of(PORT), List.of("data-dir")))
        .hasMessage("Unknown option --verbose; run with --help to list the settings");
  }
}
