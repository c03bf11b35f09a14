package io.sessionflow.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decoder on its own, where the order of decoding and answering is not a race: a refused head
 * ends its request, and nothing after it on the connection is decoded.
 */
class StrictRequestDecoderTest {
  private static final String NEXT = "GET /v1/me HTTP/1.1\r\nHost: x\r\n\r\n";

  @Test
  void nothingPipelinedBehindARequestWithBothLengthAndChunkingIsDecoded() {
    List<Object> decoded = decode("POST /v1/consents HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" + NEXT, NEXT);
    assertRefusedAlone(decoded, "both Content-Length and Transfer-Encoding");
  }

  @Test
  void nothingPipelinedBehindAFoldedHeaderIsDecoded() {
    List<Object> decoded = decode("GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n b\r\n\r\n" + NEXT, NEXT);
    assertRefusedAlone(decoded, "obsolete line folding");
  }

  @Test
  void wellFormedPipelinedRequestsAreAllDecoded() {
    List<Object> decoded = decode(NEXT + NEXT, NEXT);
    assertThat(decoded.stream().filter(HttpRequest.class::isInstance)).hasSize(3)
        .allSatisfy(request -> assertThat(((HttpRequest) request).decoderResult().isSuccess()).isTrue());
  }

  private static void assertRefusedAlone(List<Object> decoded, String reason) {
    assertThat(decoded).hasSize(2);
    HttpRequest refused = (HttpRequest) decoded.get(0);
    assertThat(refused.decoderResult().isFailure()).isTrue();
    assertThat(refused.decoderResult().cause()).isInstanceOf(StrictRequestDecoder.InvalidRequestException.class)
        .hasMessageContaining(reason);
    assertThat(decoded.get(1)).isInstanceOf(LastHttpContent.class);
    assertThat(((HttpContent) decoded.get(1)).content().readableBytes()).isZero();
  }

  /** Feeds each chunk as its own read and collects every message the decoder passes on. */
  private static List<Object> decode(String... reads) {
    EmbeddedChannel channel = new EmbeddedChannel(new StrictRequestDecoder(new HttpServerOptions()));
    List<Object> decoded = new ArrayList<>();
    try {
      for (String read : reads) {
        channel.writeInbound(Unpooled.copiedBuffer(read, StandardCharsets.US_ASCII));
        for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
          decoded.add(message);
        }
      }
      return decoded;
    } finally {
      decoded.forEach(ReferenceCountUtil::release);
      channel.finishAndReleaseAll();
    }
  }
}
