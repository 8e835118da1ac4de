package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publisher mode: the keys are kube-apiserver's own sa.pub; the service only publishes (and mirrors) them. */
class PublisherModeIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    static HttpResponse<byte[]> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void publishesAMountedSaPubByteForByteAndFollowsItsChanges() throws Exception {
        Path saPub = work.resolve("sa.pub");
        Files.writeString(saPub, TestData.read(TestData.vector("k8s-serviceaccount-testkeys/rsa-2048-public.pem"))
                + TestData.read(TestData.vector("k8s-serviceaccount-testkeys/ecdsa-p256-public.pem")));
        int port = TestData.freePort(), mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://issuer.example.com", "--issuer.publisher.keys-file=sa.pub",
                "--issuer.rotation.check-interval=200ms").awaitReady(mgmt)) {
            // The same keys kube-apiserver would publish, so the same bytes as upstream's expected output.
            assertThat(get(port, "/openid/v1/jwks").body())
                    .isEqualTo(Files.readAllBytes(TestData.vector("k8s-openidmetadata-expected/valid-inputs.jwks.json")));
            assertThat(get(port, "/.well-known/openid-configuration").body()).isEqualTo(
                    Files.readAllBytes(TestData.vector("k8s-openidmetadata-expected/valid-inputs.openid-configuration.json")));
            assertThat(work.resolve("data/keys")).doesNotExist(); // no signing key is created or held
            assertThat(new String(get(mgmt, "/actuator/health/issuer").body())).contains("publisher: keys are managed elsewhere");

            // kube-apiserver's keys change (a ConfigMap update): the documents follow without a restart.
            Files.writeString(saPub, Files.readString(saPub)
                    + TestData.read(TestData.vector("k8s-serviceaccount-testkeys/other-rsa-2048-public.pem")));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (JWKSet.parse(new String(get(port, "/openid/v1/jwks").body())).getKeys().size() < 3
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(JWKSet.parse(new String(get(port, "/openid/v1/jwks").body())).getKeys()).hasSize(3);

            // A broken file changes nothing that is served, and health says why.
            Files.writeString(saPub, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
            deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String health = "";
            while (!health.contains("storeReloadError") && System.nanoTime() < deadline) {
                Thread.sleep(100);
                health = new String(get(mgmt, "/actuator/health/issuer").body());
            }
            assertThat(health).contains("sa.pub: block 1 (PUBLIC KEY): not a DER key structure");
            assertThat(JWKSet.parse(new String(get(port, "/openid/v1/jwks").body())).getKeys()).hasSize(3);
        }
    }

    @Test
    void publisherModeRefusesToSign() throws Exception {
        Files.writeString(work.resolve("sa.pub"), TestData.read(TestData.vector("k8s-serviceaccount-testkeys/rsa-2048-public.pem")));
        try (JarProcess p = JarProcess.start(work, "--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.url=https://issuer.example.com",
                "--issuer.publisher.keys-file=sa.pub", "--issuer.signer.socket=" + work.resolve("s.sock"))) {
            assertThat(p.awaitExit()).isNotZero();
            assertThat(p.output()).contains("issuer.publisher.keys-file (publisher mode: keys are managed elsewhere)"
                    + " cannot be combined with issuer.signer.socket");
        }
    }
}
