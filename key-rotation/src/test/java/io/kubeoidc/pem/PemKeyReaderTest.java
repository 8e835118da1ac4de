package io.kubeoidc.pem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.Vectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fixtures and expected kids come from openssl (src/test/resources/pem/generate.sh and
 * expected.json), not from this code.
 */
class PemKeyReaderTest {
    private static final Map<String, Object> EXPECTED = Vectors.json("pem/expected.json");

    private static String expectedKid(String file) {
        @SuppressWarnings("unchecked")
        Map<String, Object> e = (Map<String, Object>) EXPECTED.get(file);
        return (String) e.get("kid");
    }

    private static PemReadResult read(String file) {
        return PemKeyReader.readFile(Vectors.path("pem/" + file));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "rsa2048.pkcs1.pem, true, PKCS#1 RSA 2048",
            "rsa2048.pkcs8.pem, true, PKCS#8 RSA 2048",
            "rsa2048.spki.pem, false, SPKI RSA 2048",
            "rsa2048.cert.pem, false, X.509 certificate RSA 2048",
            "rsa3072.pkcs1.pem, true, PKCS#1 RSA 3072",
            "rsa4096.pkcs8.pem, true, PKCS#8 RSA 4096",
            "ec-p256.pkcs8.pem, true, PKCS#8 EC P-256",
            "ec-p256.spki.pem, false, SPKI EC P-256",
            "ec-p256.explicit-params.spki.pem, false, SPKI EC P-256",
            "ec-p256.compressed.spki.pem, false, SPKI EC P-256",
            "ec-p384.sec1.pem, true, SEC1 EC P-384",
            "ec-p384.spki.pem, false, SPKI EC P-384",
            "ec-p521.pkcs8.pem, true, PKCS#8 EC P-521",
            "ec-p521.spki.pem, false, SPKI EC P-521",
            "kubeadm-sa.key, true, PKCS#1 RSA 2048",
            "kubeadm-sa.pub, false, SPKI RSA 2048",
    })
    void readsEachFormatWithOpensslsKid(String file, boolean isPrivate, String format) {
        PemReadResult r = read(file);
        assertThat(r.skipped()).isEmpty();
        assertThat(r.keys()).singleElement().satisfies(k -> {
            assertThat(k.kid()).isEqualTo(expectedKid(file));
            assertThat(k.isPrivate()).isEqualTo(isPrivate);
            assertThat(k.format()).isEqualTo(format);
        });
    }

    @Test
    void ecParametersBeforeASec1KeyIsAHarmlessSkip() {
        PemReadResult r = read("ec-p256.sec1.pem");
        assertThat(r.keys()).singleElement().satisfies(k -> {
            assertThat(k.index()).isEqualTo(2);
            assertThat(k.kid()).isEqualTo(expectedKid("ec-p256.spki.pem"));
        });
        assertThat(r.skipped()).singleElement().satisfies(s -> {
            assertThat(s.toString()).isEqualTo("block 1 (EC PARAMETERS): EC PARAMETERS (prime256v1 (1.2.840.10045.3.1.7)), not a key");
            assertThat(s.harmless()).isTrue();
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "rsa1024.pkcs1.pem            | RSA key of 1024 bits is below the 2048-bit minimum",
            "ec-secp256k1.sec1.pem        | unsupported curve secp256k1 (1.3.132.0.10); kube-apiserver accepts P-256, P-384 and P-521",
            "ed25519.pkcs8.pem            | Ed25519 key; kube-apiserver signs and verifies only RSA and ECDSA",
            "ed25519.spki.pem             | Ed25519 key; kube-apiserver signs and verifies only RSA and ECDSA",
            "rsa2048.encrypted-pkcs8.pem  | encrypted key; decrypt it first",
            "rsa2048.encrypted-legacy.pem | encrypted key; decrypt it first",
            "rsa2048.pkcs1-public.pem     | PKCS#1 RSA PUBLIC KEY, which kube-apiserver does not read",
            "garbage.pem                  | not a DER key structure (garbage or truncated data)",
            "bad-input/dsa2048.pkcs8.pem       | DSA key; kube-apiserver signs and verifies only RSA and ECDSA",
            "bad-input/dsa2048.traditional.pem | DSA key (OpenSSL's traditional format); kube-apiserver signs",
            "bad-input/rsa-pss2048.pkcs8.pem   | RSASSA-PSS key (OID 1.2.840.113549.1.1.10); kube-apiserver reads RSA keys only",
    })
    void eachSkipReasonIsReportedAndAFileWithoutKeysIsAnError(String file, String reason) {
        PemReadResult r = read(file);
        assertThat(r.keys()).isEmpty();
        assertThat(r.skipped()).singleElement().satisfies(s -> assertThat(s.reason()).startsWith(reason));
        assertThatThrownBy(r::requireKeys).isInstanceOf(KeyFileException.class)
                .hasMessageStartingWith(Vectors.path("pem/" + file) + ": no usable key: block 1 (")
                .hasMessageContaining(reason);
    }

    @Test
    void aMissingFileIsSaidToBeMissing() {
        java.nio.file.Path missing = Vectors.path("pem").resolve("no-such.pem");
        assertThatThrownBy(() -> PemKeyReader.readFile(missing)).hasMessage(missing + ": cannot read: no such file");
    }

    @Test
    void textWithoutPemIsAnErrorNamingTheFile() {
        assertThatThrownBy(() -> read("not-pem.txt").requireKeys())
                .hasMessage(Vectors.path("pem/not-pem.txt") + ": no usable key: it contains no PEM block");
    }

    @Test
    void mixedFileKeepsUsableKeysInOrderAndReportsEveryOtherBlock() {
        PemReadResult r = read("mixed.pem");
        assertThat(r.keys()).extracting(ParsedKey::index, ParsedKey::kid).containsExactly(
                org.assertj.core.groups.Tuple.tuple(3, expectedKid("rsa2048.spki.pem")),
                org.assertj.core.groups.Tuple.tuple(6, expectedKid("ec-p256.spki.pem")));
        assertThat(r.skipped()).extracting(SkippedBlock::index).containsExactly(1, 2, 4, 5, 7);
        assertThat(r.skipped().get(0).reason()).startsWith("not a DER key structure");
        assertThat(r.skipped().get(1).reason()).startsWith("Ed25519 key");
        assertThat(r.skipped().get(2).reason()).startsWith("RSA key of 1024 bits");
        assertThat(r.skipped().get(3).harmless()).isTrue();
        assertThat(r.skipped().get(4).reason()).startsWith("encrypted key");
    }

    @Test
    void blockLabelsAreIgnoredAsKubeApiserverDoes() throws Exception {
        String pem = Files.readString(Vectors.path("pem/rsa2048.pkcs1.pem"))
                .replace("RSA PRIVATE KEY", "PUBLIC KEY");
        PemReadResult r = PemKeyReader.read("relabelled", pem.getBytes(StandardCharsets.US_ASCII));
        assertThat(r.keys()).singleElement().satisfies(k -> {
            assertThat(k.isPrivate()).isTrue();
            assertThat(k.kid()).isEqualTo(expectedKid("rsa2048.pkcs1.pem"));
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n",
            "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
    })
    void truncatedOrNonBase64BlocksAreReported(String pem) {
        PemReadResult r = PemKeyReader.read("broken", pem.getBytes(StandardCharsets.US_ASCII));
        assertThat(r.keys()).isEmpty();
        assertThat(r.skipped()).singleElement().satisfies(s ->
                assertThat(s.reason()).matches("no matching '-----END PUBLIC KEY-----' line|body is not valid base64"));
    }
}
