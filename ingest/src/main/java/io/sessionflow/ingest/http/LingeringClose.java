package io.sessionflow.ingest.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.SocketChannel;
import io.sessionflow.common.ops.Problem;
import java.util.concurrent.TimeUnit;

/**
 * Closes the connection of a refused request head the way RFC 9112 section 9.6 says: the answer
 * ends with a FIN, what the client is still sending is read and dropped (the request decoder skips
 * it), and the connection closes once the client has closed, or after {@link Problem#LINGER_TIME}.
 *
 * <p>Vert.x closes the connection of an invalid request as soon as its answer is written. With the
 * client's bytes still unread (the body behind a 33 KB header, already on its way), the kernel then
 * resets the connection, and the reset can destroy the answer before the client read it: the client
 * saw no response at all (EndpointFuzzIT, a few in a few hundred under load). Every close of the
 * connection once {@link #arm armed} passes here: the first lingers, later ones wait for it.
 */
final class LingeringClose extends ChannelOutboundHandlerAdapter {
  /** Its name in the channel pipeline, nearest the socket so that every close passes it. */
  static final String PIPELINE_NAME = "sessionflow-lingering-close";

  private volatile boolean armed;
  private boolean lingering;

  /** The connection's next close lingers. */
  void arm() {
    armed = true;
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
    if (lingering) {
      ctx.channel().closeFuture().addListener(closed -> promise.trySuccess());
      return;
    }
    if (!armed || !(ctx.channel() instanceof SocketChannel socket) || !socket.isActive()
        || socket.isOutputShutdown()) {
      super.close(ctx, promise);
      return;
    }
    lingering = true;
    ctx.channel().closeFuture().addListener(closed -> promise.trySuccess());
    var timer = ctx.executor().schedule(() -> ctx.close(), Problem.LINGER_TIME.toMillis(), TimeUnit.MILLISECONDS);
    ctx.channel().closeFuture().addListener(closed -> timer.cancel(false));
    // The client's FIN after it read the answer ends the connection (Netty closes on end of input).
    ctx.flush();
    socket.shutdownOutput();
  }
}
