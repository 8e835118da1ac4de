package io.kubeoidc.service.it;

import static io.kubeoidc.service.it.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.testing.EtcdCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica whose issuer.keys.local-copy cannot be written serves and signs from etcd, but could not cold-start
 * without it: health says so, and clears once the directory is writable again, without a restart. The directory
 * is made immutable with chattr +i, which stops root too (file modes do not).
 */
class LocalCopyHealthIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> issuerHealth(int mgmt) throws Exception {
        return JSONObjectUtils.parse(get(mgmt, "/actuator/health/issuer").body());
    }

    @SuppressWarnings("unchecked")
    private static Object localCopyError(Map<String, Object> health) {
        Map<String, Object> details = (Map<String, Object>) health.get("details");
        return ((Map<String, Object>) details.get("ha")).get("localCopyError");
    }

    @Test
    void anUnwritableLocalCopyIsAHealthErrorUntilItIsWritten() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(Files.createDirectories(work.resolve("etcd")), 1)) {
            Path kek = TestData.keyEncryptionKey(work.resolve("kek"));
            Path state = Files.createDirectory(work.resolve("state"));
            Path copy = state.resolve("keyset.sealed");
            assumeTrue(chattr("+i", state), "chattr +i is not permitted here");
            try {
                serveWithUnwritableCopy(etcd, kek, state, copy);
            } finally {
                chattr("-i", state);
            }
        }
    }

    private static boolean chattr(String flag, Path dir) throws Exception {
        Process p = new ProcessBuilder("chattr", flag, dir.toString()).redirectErrorStream(true).start();
        return p.waitFor() == 0;
    }

    private void serveWithUnwritableCopy(EtcdCluster etcd, Path kek, Path state, Path copy) throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess replica = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com/ha", "--issuer.keys.store=etcd",
                "--issuer.keys.encryption-key-file=" + kek, "--issuer.keys.etcd.endpoints=" + etcd.endpointList(),
                "--issuer.keys.etcd.replica-id=node-1", "--issuer.keys.local-copy=" + copy,
                // A loaded machine must not turn etcd's first answer into an outage: this test is not about timing.
                "--issuer.keys.etcd.timeout=10s", "--issuer.keys.etcd.lease-ttl=30s").awaitReady(mgmt)) {
            // It serves (ready, JWKS) ...
            assertThat(get(port, "/openid/v1/jwks").statusCode()).isEqualTo(200);
            // ... but the health component is DOWN and names the copy and the consequence.
            await("health/issuer DOWN with a localCopyError", Duration.ofSeconds(60),
                    () -> "DOWN".equals(issuerHealth(mgmt).get("status")));
            Map<String, Object> health = issuerHealth(mgmt);
            assertThat(localCopyError(health)).asString().contains("cannot write the local key-set copy " + copy)
                    .contains("a cold start without etcd would have nothing to serve");
            assertThat(get(mgmt, "/actuator/health").statusCode()).isEqualTo(503);
            assertThat(get(mgmt, "/actuator/health/readiness").statusCode()).isEqualTo(200);
            assertThat(replica.output()).contains("issuer.keys.local-copy must be on a writable volume");

            // The operator fixes the path; the replica writes the copy within seconds and health clears.
            assertThat(chattr("-i", state)).isTrue();
            await("health/issuer UP again", Duration.ofSeconds(60), () -> "UP".equals(issuerHealth(mgmt).get("status")));
            assertThat(localCopyError(issuerHealth(mgmt))).isNull();
            assertThat(Files.isRegularFile(copy)).isTrue();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
            assertThat(get(mgmt, "/actuator/health").statusCode()).isEqualTo(200);
        }
    }
}
