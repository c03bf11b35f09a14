package io.sessionflow.common.io;

import java.io.IOException;
import java.io.InputStream;

/** An input stream that only implements block reads; the single-byte read goes through them. */
public abstract class BlockInputStream extends InputStream {
  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public abstract int read(byte[] into, int offset, int length) throws IOException;
}
