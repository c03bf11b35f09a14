package io.sessionflow.ingest.webhook;

import io.sessionflow.common.config.ConfigException;
import io.sessionflow.common.config.ConfigSource;
import io.sessionflow.common.config.Setting;
import java.time.Duration;
import java.util.List;

/**
 * How webhooks are delivered, and where they may go.
 *
 * @param allowHttp          plain-http endpoint URLs accepted (standalone, for a developer's receiver); https only
 *                           otherwise
 * @param allowedNetworks    private, loopback or link-local networks an endpoint may still resolve to (CIDRs);
 *                           every other such address is refused, as are cloud metadata addresses
 * @param retryFor           a delivery is retried this long after its event, then given up; an endpoint failing
 *                           every delivery this long is disabled
 * @param timeout            connect plus response time of one attempt
 * @param practiceConcurrency deliveries in flight at once for one practice (so no practice's slow endpoint delays
 *                           another's)
 */
public record WebhookSettings(boolean allowHttp, List<String> allowedNetworks, Duration retryFor, Duration timeout,
    int practiceConcurrency) {

  public static final Setting<Boolean> ALLOW_HTTP = Setting.bool("webhook-allow-http", "WEBHOOK_ALLOW_HTTP", false,
      "Accept http:// webhook URLs (only for a developer's machine; production endpoints must be https)");
  public static final Setting<List<String>> ALLOWED_NETWORKS = Setting.string("webhook-allowed-networks",
      "WEBHOOK_ALLOWED_NETWORKS", "", "Comma-separated CIDRs of private or loopback networks webhook endpoints may "
          + "resolve to (default none: such addresses are refused)").map(WebhookSettings::parseNetworks);
  public static final Setting<Duration> RETRY_FOR = Setting.duration("webhook-retry-for", "WEBHOOK_RETRY_FOR", "24h",
      "How long a webhook delivery is retried; an endpoint failing this long is disabled");
  public static final Setting<Duration> TIMEOUT = Setting.duration("webhook-timeout", "WEBHOOK_TIMEOUT", "10s",
      "Time one webhook attempt may take to connect and answer");
  public static final Setting<Integer> PRACTICE_CONCURRENCY = Setting.integer("webhook-practice-concurrency",
      "WEBHOOK_PRACTICE_CONCURRENCY", 4, 1, 64, "Webhook deliveries in flight at once per practice");

  public static final List<Setting<?>> SETTINGS = List.of(ALLOW_HTTP, ALLOWED_NETWORKS, RETRY_FOR, TIMEOUT,
      PRACTICE_CONCURRENCY);

  public WebhookSettings {
    allowedNetworks = List.copyOf(allowedNetworks);
  }

  public static WebhookSettings defaults() {
    return new WebhookSettings(false, List.of(), Duration.ofHours(24), Duration.ofSeconds(10), 4);
  }

  public static WebhookSettings from(ConfigSource source) {
    Duration timeout = source.get(TIMEOUT);
    if (timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofMinutes(2)) > 0) {
      throw new ConfigException("Invalid setting --" + TIMEOUT.flag() + " (env " + TIMEOUT.env() + ") = " + timeout
          + ": expected between 100ms and 2m");
    }
    return new WebhookSettings(source.get(ALLOW_HTTP), source.get(ALLOWED_NETWORKS), source.get(RETRY_FOR), timeout,
        source.get(PRACTICE_CONCURRENCY));
  }

  static List<String> parseNetworks(String raw) {
    List<String> networks = new java.util.ArrayList<>();
    for (String part : raw.split(",")) {
      String network = part.trim();
      if (!network.isEmpty()) {
        WebhookTargets.Network.parse(network); // refuses a malformed one with its reason
        networks.add(network);
      }
    }
    return List.copyOf(networks);
  }
}
