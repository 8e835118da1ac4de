package io.kubeoidc.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.files.UnsafeDirectoryException;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeySetChange;
import io.kubeoidc.keyset.KeyImport;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the directory store opens its directory and files: a loose directory or a planted link is refused. */
class DirectoryKeyStoreTrustTest {
    @TempDir
    Path tmp;

    private StoredKeys commitOneKey(DirectoryKeyStore store) {
        SigningKey key = SigningKey.generate(KeySpec.parse("EC-P256"), new SecureRandom());
        KeySetChange change = KeyImport.plan(KeySet.EMPTY, List.of(PemKeyReader.read("generated",
                PemKeyWriter.privateKey(key))), false, false, Instant.now());
        return store.commit(0, change.next(), change.newKeys());
    }

    @Test
    void aNewStoreDirectoryIsCreated0700() {
        var store = new DirectoryKeyStore(tmp.resolve("data/keys"));
        commitOneKey(store);
        assertThat(mode(tmp.resolve("data/keys"))).isEqualTo("rwx------");
    }

    @Test
    void aStoreDirectoryOthersCanWriteIsRefusedForReadingAndWriting() throws Exception {
        Path dir = tmp.resolve("keys");
        var store = new DirectoryKeyStore(dir);
        commitOneKey(store);
        byte[] keyset = Files.readAllBytes(dir.resolve("keyset.json"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThatThrownBy(store::load).isInstanceOf(KeyStoreException.class).hasCauseInstanceOf(UnsafeDirectoryException.class)
                .hasMessageStartingWith("key store " + dir + " is writable by its group and every user (mode 0777,")
                .hasMessageEndingWith("fix: chmod 700 " + dir);
        assertThatThrownBy(store::storedRevision).hasCauseInstanceOf(UnsafeDirectoryException.class);
        assertThatThrownBy(() -> commitOneKey(store)).hasCauseInstanceOf(UnsafeDirectoryException.class);
        assertThat(Files.readAllBytes(dir.resolve("keyset.json"))).isEqualTo(keyset);
        assertThat(mode(dir)).as("an existing directory is refused, never changed").isEqualTo("rwxrwxrwx");
    }

    @Test
    void aLockFileThatIsASymbolicLinkIsNotFollowed() throws Exception {
        Path dir = tmp.resolve("keys");
        var store = new DirectoryKeyStore(dir);
        StoredKeys first = commitOneKey(store);
        Path victim = Files.writeString(tmp.resolve("victim"), "not a lock file\n");
        Files.delete(dir.resolve(".lock"));
        Files.createSymbolicLink(dir.resolve(".lock"), victim);

        assertThatThrownBy(() -> store.commit(first.keySet().revision(), first.keySet(), List.of()))
                .isInstanceOf(KeyStoreException.class)
                .hasMessage("key store " + dir + ": .lock is a symbolic link (to " + victim + "), which the store never"
                        + " follows; remove " + dir.resolve(".lock") + " (the store recreates it)");
        assertThat(Files.readString(victim)).isEqualTo("not a lock file\n");
        assertThat(store.load().keySet()).isEqualTo(first.keySet());
    }

    @Test
    void aKeyFileReplacedByASymbolicLinkIsNotRead() throws Exception {
        Path dir = tmp.resolve("keys");
        var store = new DirectoryKeyStore(dir);
        String kid = commitOneKey(store).keySet().keys().get(0).kid();
        Path elsewhere = Files.move(dir.resolve(kid + ".key"), tmp.resolve("elsewhere.key"));
        Files.createSymbolicLink(dir.resolve(kid + ".key"), elsewhere);
        assertThatThrownBy(store::load).hasMessage("key store " + dir + " is inconsistent: keyset.json lists key " + kid
                + " but " + kid + ".key is a symbolic link, which the store never follows; restore the directory from backup");
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
