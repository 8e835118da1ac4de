package io.kubeoidc.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyfiles.KubeApiserverKeyFiles;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.signer.ClaimsPolicy;
import io.kubeoidc.signer.TokenSigner;
import io.kubeoidc.testing.MemoryCustody;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Under a custody that keeps private keys elsewhere, the stores hold metadata and public keys only. */
class CustodyOutsideStoreTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void theDirectoryStoreWritesNoPrivateKeyButItsHandlesSignAndRetiringDestroysTheKeyInTheCustody() throws Exception {
        MemoryCustody custody = new MemoryCustody();
        Path dir = tmp.resolve("keys");
        var store = new DirectoryKeyStore(dir, custody);
        KeyHandle first = custody.create(KeySpec.RSA_2048);
        store.commit(0, new KeySet(0, List.of(ManagedKey.added(first.verificationKey(), KeyState.ACTIVE, true, NOW,
                "generated").withGateBypass("first key"))), List.of(first));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .noneMatch(n -> n.endsWith(".key"))
                    .contains(first.kid() + ".pub", "keyset.json");
        }
        assertThat(Files.readString(dir.resolve("keyset.json"))).doesNotContain("PRIVATE");

        // A fresh process loads the set: the handle comes from the custody and signs what the public key verifies.
        StoredKeys loaded = new DirectoryKeyStore(dir, custody).load();
        KeyHandle active = loaded.activeSigningKey().orElseThrow();
        assertThat(active.storableKey()).isEmpty();
        String claims = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"iss\":\"https://issuer.example\",\"exp\":100,\"iat\":50}".getBytes(StandardCharsets.UTF_8));
        var parts = new TokenSigner(active, ClaimsPolicy.of("https://issuer.example", 86_400)).sign(claims);
        JWSObject jws = JWSObject.parse(parts.header() + "." + claims + "." + parts.signature());
        assertThat(jws.verify(new RSASSAVerifier((RSAPublicKey) first.verificationKey().publicKey()))).isTrue();

        // sa.key cannot be written from such a custody: refused before anything is written.
        Path keyFiles = tmp.resolve("kube");
        assertThatThrownBy(() -> KubeApiserverKeyFiles.write(keyFiles, loaded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the kube-apiserver key files need the private key itself in sa.key, but kid " + first.kid()
                        + " is held outside the key store; use custody files, or kube-apiserver's external signer");
        assertThat(keyFiles).doesNotExist();
        assertThatThrownBy(() -> KubeApiserverKeyFiles.requireCustody(custody))
                .hasMessage("the kube-apiserver key files need the private key itself in sa.key, but custody"
                        + " memory:test never gives it out; use custody files, or kube-apiserver's external signer");

        KeyHandle second = custody.create(KeySpec.RSA_2048);
        store.commit(1, new KeySet(1, List.of(loaded.keySet().keys().get(0).withState(KeyState.RETIRED, NOW),
                ManagedKey.added(second.verificationKey(), KeyState.ACTIVE, true, NOW, "generated")
                        .withGateBypass("test"))), List.of(second));
        assertThat(custody.kids()).containsExactly(second.kid());
    }

    @Test
    void theSealedLocalCopyHoldsNoPrivateKeyAndReopensHandlesThroughTheCustody() throws Exception {
        MemoryCustody custody = new MemoryCustody();
        KeyHandle key = custody.create(KeySpec.RSA_2048);
        var set = new KeySet(1, List.of(ManagedKey.added(key.verificationKey(), KeyState.ACTIVE, true, NOW, "generated")
                .withGateBypass("test")), NOW);
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        SealedBox box = new SealedBox(KeyEncryptionKey.of(raw));
        var copy = new SealedKeySetFile(tmp.resolve("copy"), box, custody);
        copy.write(new StoredKeys(set, java.util.Map.of(key.kid(), key)), "1", NOW);
        String plain = new String(box.open(Files.readAllBytes(tmp.resolve("copy")), SealedKeySetFile.SLOT),
                StandardCharsets.UTF_8);
        assertThat(plain).doesNotContain("PRIVATE").contains("\"privateKeys\":{}");
        var read = copy.read().orElseThrow().keys();
        assertThat(read.keySet().kids()).containsExactly(key.kid());
        assertThat(read.activeSigningKey().orElseThrow().kid()).isEqualTo(key.kid());
    }
    @Test
    void aStoreRefusesToOpenUnderTheOtherCustodyAndNothingChanges() throws Exception {
        // Written with files: KID.key next to the metadata.
        Path filesDir = tmp.resolve("files");
        var filesStore = new DirectoryKeyStore(filesDir, io.kubeoidc.custody.FilesCustody.INSTANCE);
        KeyHandle stored = io.kubeoidc.custody.FilesCustody.INSTANCE.create(KeySpec.RSA_2048);
        filesStore.commit(0, new KeySet(0, List.of(ManagedKey.added(stored.verificationKey(), KeyState.ACTIVE, true,
                NOW, "generated").withGateBypass("first key"))), List.of(stored));
        var filesBefore = contents(filesDir);
        assertThatThrownBy(() -> new DirectoryKeyStore(filesDir, new MemoryCustody()).load())
                .isInstanceOf(KeyStoreException.class)
                .hasMessage("key store " + filesDir + " was written with custody files but issuer.keys.custody is memory;"
                        + " a key store cannot switch custody: keep issuer.keys.custody=files for"
                        + " this store, or start custody memory with a new, empty key store and `keys import` the keys"
                        + " into it");
        assertThat(contents(filesDir)).isEqualTo(filesBefore);

        // Written with a custody outside the store: keyset.json records it.
        MemoryCustody outside = new MemoryCustody();
        Path outsideDir = tmp.resolve("outside");
        KeyHandle held = outside.create(KeySpec.RSA_2048);
        new DirectoryKeyStore(outsideDir, outside).commit(0, new KeySet(0, List.of(ManagedKey.added(
                held.verificationKey(), KeyState.ACTIVE, true, NOW, "generated").withGateBypass("first key"))),
                List.of(held));
        var outsideBefore = contents(outsideDir);
        assertThatThrownBy(() -> new DirectoryKeyStore(outsideDir, io.kubeoidc.custody.FilesCustody.INSTANCE).load())
                .isInstanceOf(KeyStoreException.class)
                .hasMessage("key store " + outsideDir + " was written with custody memory but issuer.keys.custody is"
                        + " files; a key store cannot switch custody: keep issuer.keys.custody=memory"
                        + " for this store, or start custody files with a new, empty key store");
        assertThat(contents(outsideDir)).isEqualTo(outsideBefore);
        assertThat(outside.kids()).containsExactly(held.kid());
    }

    private static java.util.Map<String, String> contents(Path dir) throws Exception {
        var m = new java.util.TreeMap<String, String>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                m.put(p.getFileName().toString(), Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
            }
        }
        return m;
    }
}
