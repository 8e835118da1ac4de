package io.kubeoidc.pem;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.Openssl;
import io.kubeoidc.files.AtomicFiles;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PemKeyWriterTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void writtenKeysAreReadByOpensslWithTheSameKid(KeySpec spec) throws Exception {
        SigningKey key = SigningKey.generate(spec, new SecureRandom());
        Path priv = dir.resolve("sa.key");
        Path pub = dir.resolve("sa.pub");
        AtomicFiles.write(priv, PemKeyWriter.privateKey(key), AtomicFiles.PRIVATE);
        AtomicFiles.write(pub, PemKeyWriter.publicKeys(List.of(key.verificationKey())), AtomicFiles.PUBLIC);

        String privPem = Files.readString(priv, StandardCharsets.US_ASCII);
        // Formats every kube-apiserver flag reads: PKCS#1 or SEC1 with the curve, SPKI public.
        assertThat(privPem).startsWith(spec.name().startsWith("RSA") ? "-----BEGIN RSA PRIVATE KEY-----\n"
                : "-----BEGIN EC PRIVATE KEY-----\n");
        assertThat(Files.readString(pub, StandardCharsets.US_ASCII)).startsWith("-----BEGIN PUBLIC KEY-----\n");
        assertThat(Openssl.kidOf(priv, true)).isEqualTo(key.kid());
        assertThat(Openssl.kidOf(pub, false)).isEqualTo(key.kid());

        // And our own reader round-trips both.
        ParsedKey back = PemKeyReader.readFile(priv).requireKeys().get(0);
        assertThat(back.kid()).isEqualTo(key.kid());
        assertThat(back.signingKey().orElseThrow().privateKey()).isEqualTo(key.privateKey());
    }
}
