package io.sessionflow.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookTargetsTest {
  final WebhookTargets production = new WebhookTargets(WebhookSettings.defaults());

  @Test
  void onlyHttpsUrlsWithAHostAndNoCredentialsOutsideStandalone() {
    assertThat(production.parse("https://hooks.example.com/sessionflow?x=1").getHost()).isEqualTo("hooks.example.com");
    for (String url : List.of("http://hooks.example.com/", "ftp://example.com/", "https:///nohost",
        "https://user:pw@example.com/", "https://example.com/#frag", "not a url", "")) {
      assertThatThrownBy(() -> production.parse(url)).as(url).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void everyAddressInsideIsRefusedAfterResolutionUnlessItsNetworkIsAllowed() throws Exception {
    for (String inside : List.of("127.0.0.1", "localhost", "10.1.2.3", "172.16.0.1", "192.168.0.10",
        "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254",
        "::ffff:10.0.0.1", "224.0.0.1", "64:ff9b::a00:5", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:5",
        "2002:a00:5::1", "::10.0.0.5", "2001::1", "2001:db8::1", "100::1")) {
      assertThatThrownBy(() -> production.resolve(URI.create("https://" + (inside.contains(":") ? "[" + inside + "]"
          : inside) + "/"))).as(inside).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address");
    }
    assertThat(production.resolve(URI.create("https://93.184.216.34/")).getHostAddress()).isEqualTo("93.184.216.34");
    assertThat(production.resolve(URI.create("https://[2606:2800:220:1::]/"))).isNotNull();
    assertThat(production.resolve(URI.create("https://[64:ff9b::5db8:d822]/"))).as("NAT64 of a public address")
        .isNotNull();
    WebhookTargets developer = new WebhookTargets(new WebhookSettings(true, List.of("127.0.0.0/8", "::1/128"),
        Duration.ofHours(24), Duration.ofSeconds(10), 4));
    assertThat(developer.resolve(developer.parse("http://127.0.0.1:9000/h"))).isEqualTo(InetAddress.getByName(
        "127.0.0.1"));
    assertThatThrownBy(() -> developer.resolve(URI.create("http://169.254.169.254/")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void malformedAllowedNetworksAreRefusedAtStart() {
    assertThat(WebhookSettings.parseNetworks("10.0.0.0/8, ::1/128")).containsExactly("10.0.0.0/8", "::1/128");
    assertThatThrownBy(() -> WebhookSettings.parseNetworks("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WebhookSettings.parseNetworks("intranet.local")).isInstanceOf(
        IllegalArgumentException.class);
  }

  @Test
  void retriesBackOffExponentiallyUpToAnHour() {
    assertThat(WebhookDispatcher.backoff(1)).isEqualTo(Duration.ofSeconds(5));
    assertThat(WebhookDispatcher.backoff(2)).isEqualTo(Duration.ofSeconds(10));
    assertThat(WebhookDispatcher.backoff(5)).isEqualTo(Duration.ofSeconds(80));
    assertThat(WebhookDispatcher.backoff(40)).isEqualTo(Duration.ofHours(1));
  }
}
