package io.sessionflow.ingest;

import io.sessionflow.common.embedded.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on the loopback that injects network faults between two parties, the way
 * toxiproxy does for tusd's tests: an outage (open connections reset, new ones refused), a
 * connection reset once a number of bytes went up, a bandwidth limit, and a stall.
 */
public final class FaultProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String targetHost;
  private final int targetPort;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean down;
  private volatile boolean stalled;
  private volatile long bytesPerSecond;
  private final AtomicLong resetAfter = new AtomicLong(-1);
  private final AtomicLong resets = new AtomicLong();

  public FaultProxy(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    try {
      this.server = new ServerSocket(FreePorts.find(), 128, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Thread acceptor = new Thread(this::accept, "fault-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Resets every open connection and refuses new ones until {@link #up()}. */
  public void down() {
    down = true;
    open.forEach(FaultProxy::reset);
  }

  public void up() {
    down = false;
  }

  /** The next connection that sends this many bytes upstream is reset there (once). */
  public void resetOnceAfter(long bytes) {
    resetAfter.set(bytes);
  }

  public long resets() {
    return resets.get();
  }

  /** Limits each direction of each connection; 0 lifts the limit. */
  public void throttle(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Stops forwarding (connections stay open, bytes wait) until called with false. */
  public void stall(boolean stalled) {
    this.stalled = stalled;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (down) {
          reset(client);
          continue;
        }
        Socket upstream = new Socket(targetHost, targetPort);
        open.add(client);
        open.add(upstream);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to, boolean upstream) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[8192];
      long sent = 0;
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          while (stalled && !down) {
            LockSupport.parkNanos(10_000_000L);
          }
          long limit = resetAfter.get();
          if (upstream && limit >= 0 && sent + n >= limit && resetAfter.compareAndSet(limit, -1)) {
            resets.incrementAndGet();
            reset(from);
            reset(to);
            return;
          }
          out.write(buffer, 0, n);
          out.flush();
          sent += n;
          long rate = bytesPerSecond;
          if (rate > 0) {
            LockSupport.parkNanos(n * 1_000_000_000L / rate);
          }
        }
      } catch (IOException e) {
        // The other side went away, or we reset it: the connection is over.
      } finally {
        close(from);
        close(to);
      }
    }, "fault-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  /** Closes with SO_LINGER 0, so the peer sees a reset (RST), not an orderly close. */
  private static void reset(Socket socket) {
    try {
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException e) {
      // Already gone.
    }
  }

  private void close(Socket socket) {
    open.remove(socket);
    try {
      socket.close();
    } catch (IOException e) {
      // Already gone.
    }
  }

  @Override
  public void close() {
    down();
    try {
      server.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }
}
