package io.sessionflow.common.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.integration.awskms.AwsKmsClient;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import io.sessionflow.common.config.CryptoConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;

/** Loads the key-encryption key: AWS KMS in production, a local Tink keyset file in standalone. */
public final class KeyEncryptionKeys {
  static {
    try {
      AeadConfig.register();
      StreamingAeadConfig.register();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private KeyEncryptionKeys() {
  }

  /** Makes sure Tink's key managers are registered. Cheap; call before any other crypto. */
  public static void init() {
    // The static initializer does the work.
  }

  public static Aead load(CryptoConfig config) {
    if (config.isAwsKms()) {
      try {
        return new AwsKmsClient().withDefaultCredentials().getAead(config.kekUri());
      } catch (GeneralSecurityException e) {
        throw new CryptoException("cannot reach the KMS key " + config.kekUri(), true, e);
      }
    }
    return loadLocal(Path.of(config.kekUri()));
  }

  static Aead loadLocal(Path keysetFile) {
    try {
      String json = Files.readString(keysetFile, StandardCharsets.UTF_8);
      KeysetHandle handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
      return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    } catch (IOException e) {
      throw new CryptoException("cannot read the local KEK keyset " + keysetFile, false, e);
    } catch (GeneralSecurityException e) {
      throw new CryptoException("the local KEK keyset " + keysetFile + " is not a Tink AEAD keyset", false, e);
    }
  }

  /**
   * Creates a local AES-256-GCM KEK keyset file readable only by its owner, unless one is there.
   * For standalone and tests; production keeps its KEK in KMS.
   */
  public static Path createLocalIfMissing(Path keysetFile) {
    if (Files.exists(keysetFile)) {
      return keysetFile;
    }
    try {
      Files.createDirectories(keysetFile.toAbsolutePath().getParent());
      KeysetHandle handle = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
      String json = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
      Path tmp = keysetFile.resolveSibling(keysetFile.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, json, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, keysetFile);
      return keysetFile;
    } catch (FileAlreadyExistsException e) {
      return keysetFile;
    } catch (IOException | GeneralSecurityException e) {
      throw new CryptoException("cannot create the local KEK keyset " + keysetFile, false, e);
    }
  }
}
