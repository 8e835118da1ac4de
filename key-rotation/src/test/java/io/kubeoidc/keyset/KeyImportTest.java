package io.kubeoidc.keyset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.Vectors;
import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemReadResult;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyImportTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    private static final String K = "vectors/k8s-serviceaccount-testkeys/";

    private static PemReadResult file(String name) {
        return PemKeyReader.readFile(Vectors.path(K + name));
    }

    @Test
    void kubeadmPairPublicFirstStillActivatesThePrivateKeyInPlace() {
        KeySetChange c = KeyImport.plan(KeySet.EMPTY, List.of(file("other-rsa-2048-public.pem"),
                file("rsa-2048-public.pem"), file("rsa-2048-private.pkcs1.pem")), false, false, NOW);
        assertThat(c.next().keys()).extracting(ManagedKey::kid).containsExactly(
                "yEooMTEt7THsoVd-yf2m_0tmtgtZWGhAPFm296R5q18", "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU");
        assertThat(c.next().active().orElseThrow().kid()).isEqualTo("JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU");
        assertThat(c.newKeys()).hasSize(1);
    }

    @Test
    void onlyTheFirstPrivateKeySigns() {
        KeySetChange c = KeyImport.plan(KeySet.EMPTY, List.of(file("ecdsa-p256-private.sec1.pem"),
                file("rsa-2048-private.pkcs1.pem")), false, false, NOW);
        assertThat(c.next().keys()).extracting(ManagedKey::state).containsExactly(KeyState.ACTIVE, KeyState.VERIFY_ONLY);
        assertThat(c.next().keys().get(1).hasPrivateKey()).isFalse();
        assertThat(c.newKeys()).extracting(k -> k.kid()).containsExactly("SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc");
    }

    @Test
    void aNonEmptyStoreAcceptsOnlyVerifyOnlyImports() {
        KeySetChange first = KeyImport.plan(KeySet.EMPTY, List.of(file("rsa-2048-private.pkcs1.pem")), false, false, NOW);
        KeySet current = new KeySet(1, first.next().keys());
        assertThatThrownBy(() -> KeyImport.plan(current, List.of(file("ecdsa-p256-public.pem")), false, false, NOW))
                .hasMessageContaining("already holds 1 key(s), active kid JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU")
                .hasMessageContaining("--verify-only");
        KeySetChange added = KeyImport.plan(current, List.of(file("ecdsa-p256-private.sec1.pem")), true, false, NOW);
        assertThat(added.next().keys()).extracting(ManagedKey::state).containsExactly(KeyState.ACTIVE, KeyState.VERIFY_ONLY);
        assertThat(added.newKeys()).isEmpty();
    }

    @Test
    void aFileWithoutKeysIsAnErrorNamingIt() {
        PemReadResult empty = PemKeyReader.read("notes.txt", "hello".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> KeyImport.plan(KeySet.EMPTY, List.of(file("rsa-2048-public.pem"), empty), false, false, NOW))
                .isInstanceOf(KeyFileException.class)
                .hasMessage("notes.txt: no usable key: it contains no PEM block");
    }
}
