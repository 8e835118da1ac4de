package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.kubeoidc.pem.PemKeyReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `doctor` against the running service's public copy on Azurite, with each failure provoked. */
class DoctorIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private String token(PrivateKey key, String kid, String issuer, String audience) throws Exception {
        var claims = new JWTClaimsSet.Builder().issuer(issuer).subject("system:serviceaccount:myns:myapp")
                .audience(audience).issueTime(new Date()).expirationTime(new Date(System.currentTimeMillis() + 600_000))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).type(JOSEObjectType.JWT).build(),
                claims);
        jwt.sign(new RSASSASigner(key));
        Path file = Files.createTempFile(work, "token", ".jwt");
        Files.writeString(file, jwt.serialize());
        return file.toString();
    }

    @Test
    void doctorPassesOnAHealthyIssuerAndExplainsEachFailure() throws Exception {
        try (Azurite azurite = new Azurite(work.resolve("azurite"))) {
            azurite.publicContainer("oidc");
            String issuer = azurite.containerUrl("oidc") + "cluster-a";
            int port = TestData.freePort(), mgmt = TestData.freePort();
            try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                    "--issuer.url=" + issuer, "--issuer.allow-insecure-http=true",
                    "--issuer.mirror.azure.connection-string=" + azurite.connectionString(),
                    "--issuer.mirror.azure.container=oidc", "--issuer.mirror.azure.prefix=cluster-a/",
                    "--issuer.mirror.azure.public-base-url=" + azurite.containerUrl("oidc")).awaitReady(mgmt)) {
                // Consistent layout: no consistency-guard warning.
                assertThat(service.output()).doesNotContain("Entra ID will fetch discovery from");
                // Discovery is uploaded after the JWKS: once it is public, both are.
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (http.send(HttpRequest.newBuilder(URI.create(issuer + "/.well-known/openid-configuration")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() != 200 && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
                Path keys = work.resolve("data/keys");
                var active = new io.kubeoidc.store.DirectoryKeyStore(keys).load();
                String kid = active.keySet().active().orElseThrow().kid();
                PrivateKey key = PemKeyReader.readFile(keys.resolve(kid + ".key")).requireKeys().get(0)
                        .signingKey().orElseThrow().privateKey();

                var ok = JarProcess.run(work, "doctor", "--issuer", issuer, "--allow-http", "--keys-dir", keys.toString(),
                        "--token", token(key, kid, issuer, "api://AzureADTokenExchange"));
                assertThat(ok.output()).as(ok.output()).contains("doctor: all 14 checks passed")
                        .contains("PASS  token signature verifies with the published key");
                assertThat(ok.exitCode()).isZero();

                var http = JarProcess.run(work, "doctor", "--issuer", issuer);
                assertThat(http.exitCode()).isEqualTo(1);
                assertThat(http.output()).contains("FAIL  issuer uses https").contains("AADSTS50166");

                var slash = JarProcess.run(work, "doctor", "--issuer", issuer + "/", "--allow-http");
                assertThat(slash.exitCode()).isEqualTo(1);
                assertThat(slash.output()).contains("differs in the trailing slash").contains("AADSTS700211");

                var rsa = KeyPairGenerator.getInstance("RSA");
                rsa.initialize(2048);
                var missing = JarProcess.run(work, "doctor", "--issuer", issuer, "--allow-http",
                        "--token", token(rsa.generateKeyPair().getPrivate(), "not-published", issuer, "api://AzureADTokenExchange"));
                assertThat(missing.exitCode()).isEqualTo(1);
                assertThat(missing.output()).contains("FAIL  token kid not-published is in the public JWKS").contains("AADSTS7000272");

                var audience = JarProcess.run(work, "doctor", "--issuer", issuer, "--allow-http",
                        "--token", token(key, kid, issuer, "https://kubernetes.default.svc"));
                assertThat(audience.output()).contains("FAIL  token aud contains api://AzureADTokenExchange").contains("AADSTS700212");

                // The same documents in a private container: Entra cannot read them.
                var priv = new BlobServiceClientBuilder().connectionString(azurite.connectionString()).buildClient()
                        .createBlobContainer("private");
                for (String name : List.of("cluster-a/.well-known/openid-configuration", "cluster-a/openid/v1/jwks")) {
                    byte[] bytes = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                            azurite.containerUrl("oidc") + name)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
                    priv.getBlobClient(name).uploadWithResponse(new BlobParallelUploadOptions(BinaryData.fromBytes(bytes))
                            .setHeaders(new BlobHttpHeaders().setContentType("application/json")), null, null);
                }
                var privateContainer = JarProcess.run(work, "doctor", "--issuer", azurite.containerUrl("private") + "cluster-a",
                        "--allow-http");
                assertThat(privateContainer.exitCode()).isEqualTo(1);
                assertThat(privateContainer.output()).contains("FAIL  discovery document is reachable anonymously")
                        .contains("a private container").contains("AADSTS50166");
            }
        }
    }
}
