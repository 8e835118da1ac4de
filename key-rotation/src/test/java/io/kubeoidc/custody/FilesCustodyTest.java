package io.kubeoidc.custody;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import io.kubeoidc.Openssl;
import io.kubeoidc.Vectors;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.store.DirectoryKeyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FilesCustodyTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    private final FilesCustody custody = new FilesCustody(new SecureRandom());

    @TempDir
    Path dir;

    private static JWSVerifier verifierFor(java.security.PublicKey key) throws Exception {
        return key instanceof RSAPublicKey rsa ? new RSASSAVerifier(rsa) : new ECDSAVerifier((ECPublicKey) key);
    }

    private static JWSObject signed(KeyHandle handle) throws Exception {
        JWSObject jws = new JWSObject(new JWSHeader(handle.verificationKey().algorithm()), new Payload("{\"sub\":\"x\"}"));
        jws.sign(handle.signer());
        return jws;
    }

    @Test
    void filesKeepsPrivateKeysInTheStoreAndHoldsNothingOutsideIt() {
        assertThat(custody.name()).isEqualTo("files");
        assertThat(custody.location()).isEqualTo("files");
        assertThat(custody.keepsPrivateKeysInStore()).isTrue();
        assertThat(custody.kids()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = KeySpec.class, names = {"RSA_2048", "EC_P256", "EC_P384"})
    void aCreatedKeySignsWhatItsPublicKeyVerifiesAndReopensFromItsStoredPrivateKey(KeySpec spec) throws Exception {
        KeyHandle created = custody.create(spec);
        assertThat(created.verificationKey().algorithm().getName()).isEqualTo(spec.jwsAlgorithm());
        assertThat(created.storableKey()).isPresent();
        assertThat(signed(created).verify(verifierFor(created.verificationKey().publicKey()))).isTrue();

        // What the store writes (PEM, 0600) and reads back, reopened: openssl derives the same kid from the file.
        Path pem = dir.resolve("k.key");
        Files.write(pem, PemKeyWriter.privateKey((SigningKey) created));
        assertThat(Openssl.kidOf(pem, true)).isEqualTo(created.kid());
        var stored = PemKeyReader.readFile(pem).requireKeys().get(0).signingKey().orElseThrow().privateKey();
        KeyHandle reopened = custody.open(created.verificationKey(), Optional.of(stored));
        assertThat(reopened.kid()).isEqualTo(created.kid());
        assertThat(signed(reopened).verify(verifierFor(created.verificationKey().publicKey()))).isTrue();
    }

    @Test
    void anRs256SignatureOfTheOpenedKeyVerifiesWithOpensslAgainstTheUpstreamPublicKey() throws Exception {
        SigningKey upstream = PemKeyReader.readFile(Vectors.path("vectors/k8s-serviceaccount-testkeys/rsa-2048-private.pkcs1.pem"))
                .requireKeys().get(0).signingKey().orElseThrow();
        KeyHandle opened = custody.open(upstream.verificationKey(), Optional.of(upstream.privateKey()));
        JWSObject jws = signed(opened);
        Path input = Files.write(dir.resolve("input"), jws.getSigningInput());
        Path sig = Files.write(dir.resolve("sig"), jws.getSignature().decode());
        String verdict = new String(Openssl.run(List.of("openssl", "dgst", "-sha256", "-verify",
                Vectors.path("vectors/k8s-serviceaccount-testkeys/rsa-2048-public.pem").toString(), "-signature",
                sig.toString(), input.toString())));
        assertThat(verdict.strip()).isEqualTo("Verified OK");
    }

    @Test
    void openRefusesAMissingOrForeignPrivateKey() {
        KeyHandle a = custody.create(KeySpec.RSA_2048);
        KeyHandle b = custody.create(KeySpec.RSA_2048);
        assertThatThrownBy(() -> custody.open(a.verificationKey(), Optional.empty()))
                .isInstanceOf(KeyCustodyException.class)
                .hasMessage("custody files keeps private keys in the key store, which holds none for kid " + a.kid());
        assertThatThrownBy(() -> custody.open(a.verificationKey(), b.storableKey()))
                .isInstanceOf(KeyCustodyException.class)
                .hasMessage("the stored private key is not the private half of kid " + a.kid());
        KeyHandle ec = custody.create(KeySpec.EC_P256);
        assertThatThrownBy(() -> custody.open(ec.verificationKey(), a.storableKey()))
                .isInstanceOf(KeyCustodyException.class);
    }

    @Test
    void adoptKeepsAnImportedKeyAsItIs() {
        SigningKey imported = SigningKey.generate(KeySpec.EC_P256, new SecureRandom());
        assertThat(custody.adopt(imported)).isSameAs(imported);
    }

    /**
     * Destroying a key that can no longer sign: the store asks the custody after its commit, and for files the
     * commit itself already removed the private file (today's behaviour), so destroy finds nothing left.
     */
    @Test
    void aRetiredKeyIsDestroyedThroughTheCustodyAfterTheStoreDeletedItsFile() {
        List<String> destroyed = new ArrayList<>();
        KeyCustody recording = new RecordingCustody(custody, destroyed);
        var store = new DirectoryKeyStore(dir.resolve("keys"), recording);
        KeyHandle first = recording.create(KeySpec.RSA_2048);
        KeySet s1 = store.commit(0, new KeySet(0, List.of(ManagedKey.added(first.verificationKey(), KeyState.ACTIVE,
                true, NOW, "generated").withGateBypass("first key"))), List.of(first)).keySet();
        assertThat(dir.resolve("keys/" + first.kid() + ".key")).exists();
        assertThat(destroyed).isEmpty();

        KeyHandle second = recording.create(KeySpec.RSA_2048);
        var s2 = store.commit(1, new KeySet(1, List.of(s1.keys().get(0).withState(KeyState.RETIRED, NOW),
                ManagedKey.added(second.verificationKey(), KeyState.ACTIVE, true, NOW, "generated")
                        .withGateBypass("test"))), List.of(second));
        assertThat(destroyed).containsExactly(first.kid());
        assertThat(dir.resolve("keys/" + first.kid() + ".key")).doesNotExist();
        assertThat(s2.signingKeys()).containsOnlyKeys(second.kid());
        assertThat(s2.keySet().find(first.kid()).orElseThrow().hasPrivateKey()).isFalse();
    }

    /** Delegates to a custody and records what it was asked to destroy. */
    private record RecordingCustody(KeyCustody inner, List<String> destroyed) implements KeyCustody {
        public String name() { return inner.name(); }
        public String location() { return inner.location(); }
        public boolean keepsPrivateKeysInStore() { return inner.keepsPrivateKeysInStore(); }
        public KeyHandle create(KeySpec spec) { return inner.create(spec); }
        public KeyHandle adopt(SigningKey key) { return inner.adopt(key); }
        public KeyHandle open(io.kubeoidc.keys.VerificationKey key, Optional<java.security.PrivateKey> stored) {
            return inner.open(key, stored);
        }
        public void destroy(String kid) {
            destroyed.add(kid);
            inner.destroy(kid);
        }
        public java.util.Set<String> kids() { return inner.kids(); }
    }
}
