package io.sessionflow.ingest.webhook;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Where a webhook may be sent (no SSRF): an absolute https URL (http only where the settings allow
 * it), without credentials or a fragment, whose host resolves only to public addresses. Loopback,
 * link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254 among them), private, CGNAT,
 * unique-local, multicast and unspecified addresses are refused unless a network the settings
 * allow holds them. The address is checked after resolution, every time, and the request then
 * goes to exactly that address (a DNS answer that changes between check and connect cannot
 * redirect it); redirects are never followed.
 */
public final class WebhookTargets {
  private final WebhookSettings settings;
  private final List<Network> allowed;

  public WebhookTargets(WebhookSettings settings) {
    this.settings = settings;
    this.allowed = settings.allowedNetworks().stream().map(Network::parse).toList();
  }

  /** A URL an endpoint may have, checked without resolving it; the problem otherwise (the admin's own input). */
  public URI parse(String url) {
    if (url == null || url.isBlank() || url.length() > 2048) {
      throw new IllegalArgumentException("url must be an absolute https URL of at most 2048 characters");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("url is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !(scheme.equals("http") && settings.allowHttp())) {
      throw new IllegalArgumentException(settings.allowHttp() ? "url must be http or https"
          : "url must be https (webhooks carry signed events; plain http is only for a developer's machine)");
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("url needs a host, and no user:password@ or #fragment");
    }
    return uri;
  }

  /** The address to send to: the first the host resolves to, once every one of them is allowed. Blocking. */
  public InetAddress resolve(URI uri) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(uri.getHost());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("the host of the url does not resolve");
    }
    for (InetAddress address : addresses) {
      String refused = refusal(address);
      if (refused != null) {
        // Which address is not said: an admin's probes must not map the inside of the network.
        org.slf4j.LoggerFactory.getLogger(WebhookTargets.class).info("webhook host refused: it resolves to {} "
            + "address", refused);
        throw new IllegalArgumentException("the url's host resolves to an address webhooks may not reach "
            + "(private, loopback, link-local, metadata or reserved)");
      }
    }
    return addresses[0];
  }

  /** Why an address may not be reached (its kind), or null when it may. */
  String refusal(InetAddress address) {
    String kind = kind(address);
    if (kind == null) {
      return null;
    }
    return allowed.stream().anyMatch(network -> network.contains(address)) ? null : kind;
  }

  static String kind(InetAddress address) {
    byte[] raw = address.getAddress();
    if (address instanceof Inet6Address && isMappedV4(raw)) {
      try {
        return kind(InetAddress.getByAddress(java.util.Arrays.copyOfRange(raw, 12, 16)));
      } catch (UnknownHostException e) {
        return "a malformed";
      }
    }
    if (address.isLoopbackAddress()) {
      return "a loopback";
    }
    if (address.isLinkLocalAddress()) {
      return "a link-local (cloud metadata)";
    }
    if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
      return "an unspecified or multicast";
    }
    if (address.isSiteLocalAddress()) {
      return "a private";
    }
    if (address instanceof Inet4Address) {
      int first = raw[0] & 0xff;
      int second = raw[1] & 0xff;
      if (first == 0 || (first == 100 && second >= 64 && second < 128) || first >= 240
          || (first == 192 && second == 0 && (raw[2] & 0xff) == 0)
          || (first == 198 && (second == 18 || second == 19))) {
        return "a reserved or shared (CGNAT)";
      }
      return null;
    }
    int top = raw[0] & 0xff;
    if ((top & 0xfe) == 0xfc) {
      return "a unique-local (private)";
    }
    // IPv6 forms that carry an IPv4 address (NAT64, 6to4, IPv4-compatible) are judged by it; Teredo, the
    // discard prefix and the documentation prefix are refused outright.
    int second16 = ((raw[2] & 0xff) << 8) | (raw[3] & 0xff);
    int first16 = (top << 8) | (raw[1] & 0xff);
    if (first16 == 0x0064 && second16 == 0xff9b && !isZero(raw, 4, 12)) {
      return "a local-use NAT64"; // 64:ff9b:1::/48 places the IPv4 address elsewhere: refused outright
    }
    if (first16 == 0x0064 && second16 == 0xff9b) {
      return kindOfEmbedded(java.util.Arrays.copyOfRange(raw, 12, 16), "a NAT64 form of ");
    }
    if (first16 == 0x2002) {
      return kindOfEmbedded(java.util.Arrays.copyOfRange(raw, 2, 6), "a 6to4 form of ");
    }
    if (isZero(raw, 0, 12)) {
      return kindOfEmbedded(java.util.Arrays.copyOfRange(raw, 12, 16), "an IPv4-compatible form of ");
    }
    if ((first16 == 0x2001 && second16 == 0x0000) || (first16 == 0x2001 && second16 == 0x0db8)
        || (first16 == 0x0100 && isZero(raw, 2, 8))) {
      return "a Teredo, discard or documentation";
    }
    return null;
  }

  private static String kindOfEmbedded(byte[] v4, String form) {
    try {
      String kind = kind(InetAddress.getByAddress(v4));
      return kind == null ? null : form + kind;
    } catch (UnknownHostException e) {
      return "a malformed";
    }
  }

  private static boolean isZero(byte[] raw, int from, int to) {
    for (int i = from; i < to; i++) {
      if (raw[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isMappedV4(byte[] raw) {
    for (int i = 0; i < 10; i++) {
      if (raw[i] != 0) {
        return false;
      }
    }
    return (raw[10] & 0xff) == 0xff && (raw[11] & 0xff) == 0xff;
  }

  /** A CIDR network. */
  record Network(byte[] base, int bits) {
    static Network parse(String cidr) {
      String[] parts = cidr.split("/");
      try {
        byte[] base = InetAddress.getByName(parts[0]).getAddress();
        int bits = parts.length == 2 ? Integer.parseInt(parts[1]) : base.length * 8;
        if (parts.length > 2 || bits < 0 || bits > base.length * 8 || !parts[0].matches("[0-9a-fA-F:.]+")) {
          throw new NumberFormatException();
        }
        return new Network(base, bits);
      } catch (UnknownHostException | NumberFormatException e) {
        throw new IllegalArgumentException("expected networks such as 127.0.0.0/8 or ::1/128, got '" + cidr + "'");
      }
    }

    boolean contains(InetAddress address) {
      byte[] raw = address.getAddress();
      if (raw.length != base.length) {
        return false;
      }
      for (int bit = 0; bit < bits; bit++) {
        int mask = 0x80 >> (bit % 8);
        if ((raw[bit / 8] & mask) != (base[bit / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
