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
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything standalone keeps, under one directory:
 * <pre>
 *   sessionflow.lock   held while an instance runs (a second one refuses to start)
 *   instance.json      endpoints of the running instance (for tools; removed on clean exit)
 *   kafka/             the embedded broker's KRaft log directory
 *   objects/           the embedded S3 server's files (audio, transcripts, analyses encrypted; see README)
 *   secrets/           local KEK keyset, S3 and Kafka credentials, token signing key
 * </pre>
 * The data dir and kafka/, objects/ and secrets/ are owner-only (0700), tightened on every start
 * if something loosened them: Kafka and S3Proxy create their files with the process umask, which
 * Java cannot set, so these directories are what keeps other local users out. Files Sessionflow
 * writes itself here are created owner-only (0600).
 */
public final class DataDir implements AutoCloseable {
  static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Logger LOG = LoggerFactory.getLogger(DataDir.class);
  /** The one Kafka user of the embedded broker; every stage of this instance logs in as it. */
  static final String KAFKA_USER = "sessionflow";
  private final Path root;
  private FileChannel lockChannel;
  private FileLock lock;

  private DataDir(Path root) {
    this.root = root;
  }

  /**
   * Creates the data dir and secrets/ if they are new, owner-only; an existing one is made owner-only.
   * kafka/ and objects/ are made when the instance starts ({@link #kafkaDir()}, {@link #objectsDir()}).
   */
  public static DataDir open(Path root) {
    Path absolute = root.toAbsolutePath().normalize();
    try {
      if (absolute.getParent() != null) {
        Files.createDirectories(absolute.getParent());
      }
      ownerOnlyDirectory(absolute);
      ownerOnlyDirectory(absolute.resolve("secrets"));
    } catch (IOException e) {
      throw new StartupException("cannot create the data dir " + absolute + " owner-only: " + e.getMessage(), e);
    }
    return new DataDir(absolute);
  }

  /** Creates {@code dir} with mode 0700, or takes group and other permissions off an existing one. */
  static void ownerOnlyDirectory(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // created meanwhile: tightened below like any existing one
      }
    }
    // createDirectory's mode is filtered by the umask (0700 survives every umask); an existing
    // directory may have been made by an older version or by hand.
    Set<PosixFilePermission> current = Files.getPosixFilePermissions(dir);
    if (!current.equals(OWNER_ONLY_DIR)) {
      Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
      LOG.warn("made {} owner-only (was {})", dir, PosixFilePermissions.toString(current));
    }
  }

  private static FileAttribute<Set<PosixFilePermission>> ownerOnlyFile() {
    return PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE);
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

  /** The broker's log directory, owner-only (created if new; read-only commands use {@link #path}). */
  public Path kafkaDir() {
    return prepared(root.resolve("kafka"));
  }

  /** The S3 server's files, owner-only (created if new). */
  public Path objectsDir() {
    return prepared(root.resolve("objects"));
  }

  /** A folder of the layout, as it is: for the auditor's read-only commands, which change nothing. */
  public Path path(String name) {
    return root.resolve(name);
  }

  private static Path prepared(Path dir) {
    try {
      ownerOnlyDirectory(dir);
    } catch (IOException e) {
      throw new StartupException("cannot create " + dir + " owner-only: " + e.getMessage(), e);
    }
    return dir;
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
      lockChannel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE), ownerOnlyFile());
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
    SecureRandom random = new SecureRandom();
    Properties props = ownerOnlyProperties(secretsDir().resolve("s3-credentials.properties"),
        "Credentials of the embedded S3 server", p -> {
          byte[] secret = new byte[24];
          random.nextBytes(secret);
          byte[] access = new byte[8];
          random.nextBytes(access);
          p.setProperty("accessKey", "SF" + HexFormat.of().withUpperCase().formatHex(access));
          p.setProperty("secretKey", HexFormat.of().formatHex(secret));
        });
    return new S3Credentials(props.getProperty("accessKey"), props.getProperty("secretKey"));
  }

  /** The SCRAM-SHA-512 user of the embedded Kafka broker, generated on first start. */
  public KafkaCredentials kafkaCredentials() {
    Properties props = ownerOnlyProperties(kafkaCredentialsFile(), "SCRAM-SHA-512 user of the embedded Kafka broker",
        p -> {
          byte[] secret = new byte[32];
          new SecureRandom().nextBytes(secret);
          p.setProperty("username", KAFKA_USER);
          p.setProperty("password", HexFormat.of().formatHex(secret));
        });
    String username = props.getProperty("username", "");
    String password = props.getProperty("password", "");
    if (username.isBlank() || password.isBlank()) {
      throw new StartupException(kafkaCredentialsFile() + " lacks username or password: restore it from a backup, "
          + "or delete it to have new credentials generated at the next start");
    }
    return new KafkaCredentials(username, password);
  }

  public Path kafkaCredentialsFile() {
    return secretsDir().resolve("kafka-credentials.properties");
  }

  /** Reads a properties file of secrets/, or generates it (mode 0600 from its creation on). */
  private static Properties ownerOnlyProperties(Path file, String comment, Consumer<Properties> generate) {
    Properties props = new Properties();
    try {
      if (!Files.exists(file)) {
        generate.accept(props);
        Path temp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".new");
        try {
          try (var out = Files.newOutputStream(temp)) {
            props.store(out, comment);
          }
          // Whole or not at all: a crash mid-write must not leave a half file read as credentials.
          Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(temp);
        }
      } else {
        try (var in = Files.newInputStream(file)) {
          props.load(in);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + file, e);
    }
    return props;
  }

  public void writeInstance(JsonObject info) {
    try {
      if (!Files.exists(instanceFile())) {
        Files.createFile(instanceFile(), ownerOnlyFile());
      }
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

  /** SASL user of the embedded Kafka broker. */
  public record KafkaCredentials(String username, String password) {
    @Override
    public String toString() {
      return "KafkaCredentials[username=" + username + "]";
    }
  }
}
