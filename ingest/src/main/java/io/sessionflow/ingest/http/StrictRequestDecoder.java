package io.sessionflow.ingest.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.List;

/**
 * Vert.x's HTTP/1.x request decoder, refusing two things Netty accepts: a request carrying both
 * {@code Content-Length} and {@code Transfer-Encoding} (Netty drops the length and reads chunks,
 * which a proxy in front may not do: request smuggling) and a header continued on the next line
 * (obs-fold, RFC 9112 section 5.2; Netty joins the lines). Such a request is marked as failed to
 * decode, so Vert.x answers it through the server's invalid-request handler and closes the
 * connection. The marking happens when the request's head is complete: no route ever sees it.
 * Nothing after a refused head is decoded (its body framing is the thing in doubt), so a request
 * pipelined behind it is never answered, however fast the refusal is written: Netty does the same
 * for the requests it refuses itself.
 */
public final class StrictRequestDecoder extends VertxHttpRequestDecoder {
  /** Name Vert.x gives its request decoder in the channel pipeline. */
  public static final String PIPELINE_NAME = "httpDecoder";
  private boolean inHead = true;
  private boolean requestLineSeen;
  private boolean afterLineFeed;
  private String violation;
  private boolean refused;

  public StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (refused) {
      buffer.skipBytes(buffer.readableBytes());
      return;
    }
    int from = buffer.readerIndex();
    int already = out.size();
    boolean scanning = inHead;
    super.decode(ctx, buffer, out);
    if (scanning) {
      scanHead(buffer, from, buffer.readerIndex());
    }
    for (int i = already; i < out.size(); i++) {
      Object message = out.get(i);
      if (message instanceof HttpRequest request) {
        if (violation != null && request.decoderResult().isSuccess()) {
          request.setDecoderResult(DecoderResult.failure(new InvalidRequestException(violation)));
          refuseAfter(i, buffer, out);
          return;
        }
        violation = null;
        inHead = false;
      }
      if (message instanceof LastHttpContent) {
        inHead = true;
        requestLineSeen = false;
        afterLineFeed = false;
      }
    }
  }

  /** Ends the refused request where its head ends and drops what was decoded after it and all that follows. */
  private void refuseAfter(int index, ByteBuf buffer, List<Object> out) {
    for (int j = out.size() - 1; j > index; j--) {
      ReferenceCountUtil.release(out.remove(j));
    }
    out.add(LastHttpContent.EMPTY_LAST_CONTENT);
    buffer.skipBytes(buffer.readableBytes());
    refused = true;
  }

  /** The decoder consumes a head line by line, so the bytes consumed while in the head are whole lines of it. */
  private void scanHead(ByteBuf buffer, int from, int to) {
    for (int i = from; i < to; i++) {
      byte b = buffer.getByte(i);
      if (b == '\n') {
        afterLineFeed = requestLineSeen;
      } else if (afterLineFeed && (b == ' ' || b == '\t')) {
        violation = "a header line starts with whitespace (obsolete line folding); send each header on one line";
        afterLineFeed = false;
      } else {
        if (b != '\r') {
          requestLineSeen = true;
          afterLineFeed = false;
        }
      }
    }
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    violation = "the request has both Content-Length and Transfer-Encoding; send one of them";
    super.handleTransferEncodingChunkedWithContentLength(message);
  }

  /** Why a request was refused before routing; the message is safe to show to the client. */
  public static final class InvalidRequestException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidRequestException(String message) {
      super(message);
    }
  }
}
