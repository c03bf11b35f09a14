package io.sessionflow.common.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sessionflow.common.config.StorageConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The S3 client never hashes an uploaded body for its SigV4 signature: parts and puts go with
 * {@code x-amz-content-sha256: UNSIGNED-PAYLOAD}, also over plain http (the standalone's store),
 * and without aws-chunked encoding. Hashing every byte once more would cost about as much CPU as
 * encrypting it, and the store would hash it again to check; every part is authenticated
 * encryption, checked on every read. An SDK upgrade that started to hash would fail here.
 */
class UnsignedPayloadTest {
  @Test
  void partsAndPutsCarryUnsignedPayloadOverPlainHttp() throws Exception {
    byte[] body = new byte[300_000];
    assertThat(headersOf(store -> store.uploadPart("bucket", "raw/r1", "upload-1", 1, body)))
        .contains("x-amz-content-sha256: unsigned-payload").noneMatch(h -> h.startsWith("content-encoding"))
        .anyMatch(h -> h.startsWith("put /bucket/raw/r1?partnumber=1&uploadid=upload-1"));
    assertThat(headersOf(store -> store.put("bucket", "uploads/u1/state", body, Map.of())))
        .contains("x-amz-content-sha256: unsigned-payload").noneMatch(h -> h.startsWith("content-encoding"));
  }

  /** The request head the client sends for one call, lower-cased, from a socket that answers 500. */
  private static List<String> headersOf(Function<ObjectStore, CompletableFuture<?>> call) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CompletableFuture<List<String>> head = CompletableFuture.supplyAsync(() -> {
        try (Socket socket = server.accept()) {
          BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
              StandardCharsets.ISO_8859_1));
          List<String> lines = new ArrayList<>();
          for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
            lines.add(line.toLowerCase(Locale.ROOT));
          }
          socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
          return lines;
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      StorageConfig config = new StorageConfig(Optional.of(URI.create("http://127.0.0.1:" + server.getLocalPort())),
          "us-east-1", "bucket", "bucket", "access", "secret", true, StorageConfig.MIN_PART_SIZE);
      try (ObjectStore store = ObjectStores.s3(config)) {
        call.apply(store).handle((r, e) -> null).get(30, TimeUnit.SECONDS);
      }
      return head.get(30, TimeUnit.SECONDS);
    }
  }
}
