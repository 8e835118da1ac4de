package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.RSAKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault suite's secret scan must find a key in the forms other tools print it, and nothing in public data. */
class SecretScanTest {
    @TempDir
    static Path dir;
    static RSAPrivateCrtKey key;
    static RSAPublicKey pub;

    @BeforeAll
    static void opensslKey() throws Exception {
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "k.pem");
        run("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "k.pem", "-outform", "DER", "-out", "k.der");
        run("openssl", "rsa", "-in", "k.pem", "-traditional", "-out", "k1.pem");
        key = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
                Files.readAllBytes(dir.resolve("k.der"))));
        pub = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent()));
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    static SecretScan scan() {
        return new SecretScan().addKey("k", key);
    }

    @Test
    void findsOpensslPemFilesWithoutTheirHeaders() throws Exception {
        for (String file : new String[] {"k.pem", "k1.pem"}) {
            String pem = Files.readString(dir.resolve(file));
            assertThat(scan().scan(file, pem).hits()).as(file).isNotEmpty();
            // The body alone, unwrapped onto one line, as a log or a JSON string would carry it.
            String body = pem.replaceAll("-----[A-Z ]+-----", "").replace("\n", "");
            assertThat(scan().scan(file, body).hits()).as(file + " body").isNotEmpty();
        }
    }

    @Test
    void findsThePrivateJwkMembersAsNimbusPrintsThem() {
        String jwk = new RSAKey.Builder(pub).privateKey(key).build().toJSONString();
        assertThat(scan().scan("jwk", jwk).hits()).extracting(SecretScan.Hit::what)
                .contains("k d (base64url)", "k p (base64url)", "k q (base64url)");
    }

    @Test
    void findsTheNumbersInDecimalAndHex() {
        assertThat(scan().scan("p", "p=" + key.getPrimeP()).hits()).extracting(SecretScan.Hit::what).contains("k p (decimal)");
        assertThat(scan().scan("q", key.getPrimeQ().toString(16)).hits()).extracting(SecretScan.Hit::what).contains("k q (hex)");
        assertThat(scan().scan("der", key.getEncoded()).hits()).extracting(SecretScan.Hit::what).contains("k PKCS#8 DER (raw bytes)");
    }

    @Test
    void findsAStorageCredentialWholeOrCutShort() {
        SecretScan s = new SecretScan().addCredential("secret access key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assertThat(s.scan("log", "aws.secretAccessKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").hits())
                .extracting(SecretScan.Hit::what).contains("secret access key", "secret access key (part)");
        assertThat(new SecretScan().addCredential("k", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
                .scan("truncated", "...utnFEMI/K7MDENG/bPxRfiCYEX...").hits()).extracting(SecretScan.Hit::what)
                .containsExactly("k (part)");
        assertThat(new SecretScan().addCredential("k", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
                .scan("other", "AKIAIOSFODNN7EXAMPLE").hits()).isEmpty();
    }

    @Test
    void publicMaterialIsNotAHit() {
        String jwk = new RSAKey.Builder(pub).keyID("k").build().toJSONString();
        assertThat(scan().scan("public jwk", jwk).scan("modulus", pub.getModulus().toString(16)).hits()).isEmpty();
    }

    @Test
    void findsAnUnknownRsaPrivateKeyByItsStructureButNotAPublicKey() throws Exception {
        for (String file : new String[] {"k.pem", "k1.pem", "k.der"}) {
            byte[] content = Files.readAllBytes(dir.resolve(file));
            SecretScan structureOnly = new SecretScan().anyRsaPrivateKey();
            if (file.endsWith(".pem")) {
                // the body alone, one line, without the PEM markers the default needle finds
                content = new String(content, StandardCharsets.US_ASCII).replaceAll("-----[A-Z ]+-----", "")
                        .replace("\n", "").getBytes(StandardCharsets.US_ASCII);
            }
            assertThat(structureOnly.scan(file, content).hits()).as(file).isNotEmpty();
        }
        run("openssl", "pkey", "-in", "k.pem", "-pubout", "-outform", "DER", "-out", "pub.der");
        run("openssl", "rsa", "-in", "k.pem", "-RSAPublicKey_out", "-outform", "DER", "-out", "pub1.der");
        String jwk = new RSAKey.Builder(pub).keyID("k").build().toJSONString();
        SecretScan publicOnly = new SecretScan().anyRsaPrivateKey().scan("spki", Files.readAllBytes(dir.resolve("pub.der")))
                .scan("pkcs1 public", Files.readAllBytes(dir.resolve("pub1.der"))).scan("jwk", jwk)
                .scan("spki pem", java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("pub.der"))));
        assertThat(publicOnly.hits()).isEmpty();
    }
}
