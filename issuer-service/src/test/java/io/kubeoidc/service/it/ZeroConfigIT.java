package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No configuration at all: a key is created under ./data/keys and served for a development issuer. */
class ZeroConfigIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private static String get(int port, String path) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    @Test
    void firstStartCreatesAnRsa2048KeyAndRestartKeepsIt() throws Exception {
        // Truly zero configuration when the default ports are free; otherwise only the ports are set.
        boolean defaults = TestData.portFree(8080) && TestData.portFree(8081);
        int port = defaults ? 8080 : TestData.freePort();
        int mgmt = defaults ? 8081 : TestData.freePort();
        String[] args = defaults ? new String[0]
                : new String[] {"--server.port=" + port, "--management.server.port=" + mgmt};

        String kid;
        try (JarProcess service = JarProcess.start(work, args).awaitReady(mgmt)) {
            assertThat(service.output()).contains("DEVELOPMENT ISSUER").contains("http://localhost:" + port);
            assertThat(get(port, "/.well-known/openid-configuration"))
                    .startsWith("{\"issuer\":\"http://localhost:" + port + "\",\"jwks_uri\":\"http://localhost:"
                            + port + "/openid/v1/jwks\",");
            List<JWK> keys = JWKSet.parse(get(port, "/openid/v1/jwks")).getKeys();
            assertThat(keys).singleElement().satisfies(k -> {
                assertThat(k).isInstanceOf(RSAKey.class);
                assertThat(((RSAKey) k).size()).isEqualTo(2048);
                assertThat(k.getAlgorithm().getName()).isEqualTo("RS256");
            });
            kid = keys.get(0).getKeyID();
            // The embedded default mirror: the same bytes under ./data/public, for any static web server.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(work.resolve("data/public/.well-known/openid-configuration")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(work.resolve("data/public/openid/v1/jwks"))).isEqualTo(get(port, "/openid/v1/jwks"));
            assertThat(Files.readString(work.resolve("data/public/.well-known/openid-configuration")))
                    .isEqualTo(get(port, "/.well-known/openid-configuration"));
        }

        Path dir = work.resolve("data/keys");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        Path keyFile = dir.resolve(kid + ".key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(Files.readString(keyFile)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        var list = JarProcess.run(work, "keys", "list");
        assertThat(list.output()).containsPattern(kid + "\\s+RS256\\s+2048\\s+ACTIVE\\s+\\S+Z \\([^)]+\\)\\s+generated");

        try (JarProcess again = JarProcess.start(work, args).awaitReady(mgmt)) {
            assertThat(JWKSet.parse(get(port, "/openid/v1/jwks")).getKeys()).extracting(JWK::getKeyID).containsExactly(kid);
        }
    }

    @Test
    void keysImportedWhileRunningArePublishedWithoutRestart() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com", "--issuer.rotation.check-interval=200ms").awaitReady(mgmt)) {
            String before = get(port, "/openid/v1/jwks");
            var etagBefore = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/openid/v1/jwks"))
                    .build(), HttpResponse.BodyHandlers.discarding()).headers().firstValue("ETag").orElseThrow();
            var imported = JarProcess.run(work, "keys", "import", "--verify-only",
                    TestData.vector("k8s-serviceaccount-testkeys/other-rsa-2048-public.pem").toString());
            assertThat(imported.exitCode()).as(imported.output()).isZero();

            String otherKid = "yEooMTEt7THsoVd-yf2m_0tmtgtZWGhAPFm296R5q18";
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String after = before;
            while (!after.contains(otherKid) && System.nanoTime() < deadline) {
                Thread.sleep(100);
                after = get(port, "/openid/v1/jwks");
            }
            assertThat(JWKSet.parse(after).getKeys()).extracting(JWK::getKeyID)
                    .containsExactly(JWKSet.parse(before).getKeys().get(0).getKeyID(), otherKid);
            var etagAfter = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/openid/v1/jwks"))
                    .build(), HttpResponse.BodyHandlers.discarding()).headers().firstValue("ETag").orElseThrow();
            assertThat(etagAfter).isNotEqualTo(etagBefore);
            service.awaitOutput("Serving 2 key(s) at revision 2"); // logged just after the swap
        }
    }

    static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
