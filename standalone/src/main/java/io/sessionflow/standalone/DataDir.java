package io.sessionflow.standalone;

import io.sessionflow.common.crypto.KeyEncryptionKeys;
import io.sessionflow.common.runtime.StartupException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * Everything standalone keeps, under one directory:
 * <pre>
 *   sessionflow.lock   held while an instance runs (a second one refuses to start)
 *   instance.json      endpoints of the running instance (for tools; removed on clean exit)
 *   kafka/             the embedded broker's KRaft log directory
 *   objects/           the embedded S3 server's files (ciphertext only)
 *   secrets/           local KEK keyset, S3 credentials, token signing key (owner-only)
 * </pre>
 */
public final class DataDir implements AutoCloseable {
  private final Path root;
  private FileChannel lockChannel;
  private FileLock lock;

  private DataDir(Path root) {
    this.root = root;
  }

  /** Creates the directory layout if it is new. */
  public static DataDir open(Path root) {
    Path absolute = root.toAbsolutePath().normalize();
    try {
      Files.createDirectories(absolute);
      Path secrets = absolute.resolve("secrets");
      if (!Files.exists(secrets)) {
        Files.createDirectory(secrets, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw new StartupException("cannot create the data dir " + absolute + ": " + e.getMessage(), e);
    }
    return new DataDir(absolute);
  }

  /** A data dir a standalone instance has run on, for the auditor's read-only commands; never created. */
  public static DataDir existing(Path root) {
    Path absolute = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(absolute.resolve("objects"))
        || !Files.exists(absolute.resolve("secrets").resolve("s3-credentials.properties"))) {
      throw new io.sessionflow.common.config.ConfigException("No Sessionflow data at " + absolute
          + ": expected the objects/ and secrets/ a standalone run leaves; pass --data-dir, or --s3-endpoint for S3");
    }
    return new DataDir(absolute);
  }

  public Path root() {
    return root;
  }

  public Path kafkaDir() {
    return root.resolve("kafka");
  }

  public Path objectsDir() {
    return root.resolve("objects");
  }

  public Path secretsDir() {
    return root.resolve("secrets");
  }

  public Path instanceFile() {
    return root.resolve("instance.json");
  }

  /** Takes the instance lock, or explains who holds it. */
  public void lock() {
    Path lockFile = root.resolve("sessionflow.lock");
    try {
      lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        String holder = Files.readString(lockFile, StandardCharsets.UTF_8).trim();
        lockChannel.close();
        throw new StartupException("Another Sessionflow instance" + (holder.isEmpty() ? "" : " (pid " + holder + ")")
            + " is already running on data dir " + root + ". Stop it first, or pass another --data-dir.");
      }
      lockChannel.truncate(0);
      lockChannel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid())
          .getBytes(StandardCharsets.UTF_8)), 0);
      lockChannel.force(true);
    } catch (IOException e) {
      throw new StartupException("cannot lock the data dir " + root + ": " + e.getMessage(), e);
    }
  }

  /** The local KEK keyset, generated on first start. */
  public Path kekFile() {
    return KeyEncryptionKeys.createLocalIfMissing(secretsDir().resolve("kek.json"));
  }

  /** Credentials of the embedded S3 server, generated on first start. */
  public S3Credentials s3Credentials() {
    Path file = secretsDir().resolve("s3-credentials.properties");
    Properties props = new Properties();
    try {
      if (!Files.exists(file)) {
        SecureRandom random = new SecureRandom();
        byte[] secret = new byte[24];
        random.nextBytes(secret);
        byte[] access = new byte[8];
        random.nextBytes(access);
        props.setProperty("accessKey", "SF" + HexFormat.of().withUpperCase().formatHex(access));
        props.setProperty("secretKey", HexFormat.of().formatHex(secret));
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var out = Files.newOutputStream(file)) {
          props.store(out, "Credentials of the embedded S3 server");
        }
      } else {
        try (var in = Files.newInputStream(file)) {
          props.load(in);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
    return new S3Credentials(props.getProperty("accessKey"), props.getProperty("secretKey"));
  }

  public void writeInstance(JsonObject info) {
    try {
      Files.writeString(instanceFile(), info.encodePrettily(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + instanceFile(), e);
    }
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(instanceFile());
      if (lock != null) {
        lockChannel.truncate(0);
        lock.release();
        lockChannel.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot release the data dir lock", e);
    }
  }

  /** Access key pair of the embedded S3 server. */
  public record S3Credentials(String accessKey, String secretKey) {
  }
}
