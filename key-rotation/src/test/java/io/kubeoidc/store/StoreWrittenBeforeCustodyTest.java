package io.kubeoidc.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.Openssl;
import io.kubeoidc.Vectors;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.signer.ClaimsPolicy;
import io.kubeoidc.signer.TokenSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.interfaces.RSAPublicKey;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key store and a sealed local copy written by the code before the custody seam (commit e67e707, by
 * {@code stores/e67e707/WriteOldStore.java}): an imported key RETIRED, an imported EC key VERIFY_ONLY, a generated
 * RSA key ACTIVE and a generated EC key NEXT. They load unchanged, sign, and a commit leaves their files as they were.
 */
class StoreWrittenBeforeCustodyTest {
    private static final String RETIRED = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU";
    private static final String VERIFY_ONLY = "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc";
    private static final String ACTIVE = "Dv8HmKfLl7p0DocTb4Ad8NzlheSXnr3LdPLJ4y2Yk9Y";
    private static final String NEXT = "NwVxtxX_M-w_V8FXYbDGp73rVT04acpmon-C0Pxxq9A";

    @TempDir
    Path tmp;
    Path dir;

    /** Git keeps no modes: the store refuses a directory others could read, so restore the modes it was written with. */
    @BeforeEach
    void copyFixture() throws Exception {
        Path fixture = Vectors.path("stores/e67e707");
        dir = Files.createDirectory(tmp.resolve("keys"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        try (Stream<Path> files = Files.list(fixture.resolve("keys"))) {
            for (Path f : files.toList()) {
                Path to = Files.copy(f, dir.resolve(f.getFileName().toString()));
                Files.setPosixFilePermissions(to, PosixFilePermissions.fromString(
                        to.toString().endsWith(".key") ? "rw-------" : "rw-r--r--"));
            }
        }
        for (String f : List.of("kek", "keyset.sealed")) {
            Files.setPosixFilePermissions(Files.copy(fixture.resolve(f), tmp.resolve(f)),
                    PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void theDirectoryStoreLoadsAsBeforeAndItsActiveKeySigns() throws Exception {
        StoredKeys loaded = new DirectoryKeyStore(dir).load();
        KeySet set = loaded.keySet();
        assertThat(set.revision()).isEqualTo(4);
        assertThat(set.keys()).extracting(ManagedKey::kid, ManagedKey::state, ManagedKey::hasPrivateKey).containsExactly(
                Tuple.tuple(RETIRED, KeyState.RETIRED, false), Tuple.tuple(VERIFY_ONLY, KeyState.VERIFY_ONLY, false),
                Tuple.tuple(ACTIVE, KeyState.ACTIVE, true), Tuple.tuple(NEXT, KeyState.NEXT, true));
        assertThat(loaded.signingKeys()).containsOnlyKeys(ACTIVE, NEXT);
        // The imported keys are the upstream Kubernetes test keys, whose kids openssl derives independently.
        assertThat(Openssl.kidOf(Vectors.path("vectors/k8s-serviceaccount-testkeys/rsa-2048-public.pem"), false))
                .isEqualTo(RETIRED);
        assertThat(Openssl.kidOf(Vectors.path("vectors/k8s-serviceaccount-testkeys/ecdsa-p256-public.pem"), false))
                .isEqualTo(VERIFY_ONLY);
        for (String kid : List.of(ACTIVE, NEXT)) {
            assertThat(Openssl.kidOf(dir.resolve(kid + ".key"), true)).isEqualTo(kid);
            // The handle holds exactly the private key of the old file: written again, it is the same bytes.
            var handle = loaded.signingKeys().get(kid);
            assertThat(PemKeyWriter.privateKey(new SigningKey(handle.verificationKey(), handle.storableKey().orElseThrow())))
                    .isEqualTo(Files.readAllBytes(dir.resolve(kid + ".key")));
        }

        String claims = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"iss\":\"https://issuer.example\",\"exp\":100,\"iat\":50}".getBytes(StandardCharsets.UTF_8));
        var parts = new TokenSigner(loaded.activeSigningKey().orElseThrow(), ClaimsPolicy.of("https://issuer.example",
                86_400)).sign(claims);
        var publicKey = (RSAPublicKey) PemKeyReader.readFile(dir.resolve(ACTIVE + ".pub")).requireKeys().get(0)
                .verificationKey().publicKey();
        assertThat(JWSObject.parse(parts.header() + "." + claims + "." + parts.signature())
                .verify(new RSASSAVerifier(publicKey))).isTrue();
    }

    @Test
    void aCommitByTheNewCodeKeepsTheOldFilesAndTheMetadataFormat() throws Exception {
        Map<String, byte[]> before = new java.util.HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                before.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        var store = new DirectoryKeyStore(dir);
        StoredKeys committed = store.commit(4, store.load().keySet(), List.of());
        assertThat(committed.keySet().revision()).isEqualTo(5);
        for (String kid : List.of(RETIRED, VERIFY_ONLY, ACTIVE, NEXT)) {
            assertThat(dir.resolve(kid + ".pub")).hasBinaryContent(before.get(kid + ".pub"));
        }
        for (String kid : List.of(ACTIVE, NEXT)) {
            assertThat(dir.resolve(kid + ".key")).hasBinaryContent(before.get(kid + ".key"));
        }
        assertThat(dir.resolve(RETIRED + ".key")).doesNotExist();
        // Same set, same kids: only the revision moves, byte for byte.
        String old = new String(before.get("keyset.json"), StandardCharsets.UTF_8);
        assertThat(Files.readString(dir.resolve("keyset.json"))).isEqualTo(old.replace("\"revision\":4,", "\"revision\":5,"));
    }

    @Test
    void theSealedLocalCopyOpensAsBeforeAndIsWrittenInTheSameFormat() throws Exception {
        SealedBox box = new SealedBox(KeyEncryptionKey.readFile(tmp.resolve("kek")));
        var copy = new SealedKeySetFile(tmp.resolve("keyset.sealed"), box).read().orElseThrow();
        StoredKeys dirKeys = new DirectoryKeyStore(dir).load();
        assertThat(copy.version()).isEqualTo("4");
        assertThat(copy.keys().keySet()).isEqualTo(dirKeys.keySet());
        assertThat(copy.keys().signingKeys()).containsOnlyKeys(ACTIVE, NEXT);
        for (String kid : List.of(ACTIVE, NEXT)) {
            assertThat(copy.keys().signingKeys().get(kid).storableKey())
                    .isEqualTo(dirKeys.signingKeys().get(kid).storableKey());
        }

        // Written again by the new code: the same plaintext document inside the seal.
        byte[] oldPlain = box.open(Files.readAllBytes(tmp.resolve("keyset.sealed")), SealedKeySetFile.SLOT);
        Path rewritten = tmp.resolve("rewritten.sealed");
        new SealedKeySetFile(rewritten, box).write(copy.keys(), copy.version(), copy.savedAt());
        byte[] newPlain = box.open(Files.readAllBytes(rewritten), SealedKeySetFile.SLOT);
        assertThat(JSONObjectUtils.parse(new String(newPlain, StandardCharsets.UTF_8)))
                .isEqualTo(JSONObjectUtils.parse(new String(oldPlain, StandardCharsets.UTF_8)));
    }
}
