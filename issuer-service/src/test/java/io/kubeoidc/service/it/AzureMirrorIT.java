package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Azure Blob mirror against Azurite, read back by a plain anonymous HTTP client. */
class AzureMirrorIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    static HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JarProcess service(Azurite azurite, String cluster, int port, int mgmt, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com/" + cluster, "--issuer.keys.directory=keys-" + cluster,
                "--issuer.mirror.filesystem.directory=public-" + cluster,
                "--issuer.mirror.azure.connection-string=" + azurite.connectionString(),
                "--issuer.mirror.azure.container=oidc", "--issuer.mirror.azure.prefix=" + cluster + "/",
                "--issuer.mirror.azure.public-base-url=" + azurite.containerUrl("oidc"), "--issuer.mirror.interval=1s"));
        args.addAll(List.of(extra));
        return JarProcess.start(work, args.toArray(String[]::new)).awaitReady(mgmt);
    }

    private static void awaitPublic(String url, byte[] expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        HttpResponse<byte[]> r = get(url);
        while (!(r.statusCode() == 200 && java.util.Arrays.equals(r.body(), expected)) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            r = get(url);
        }
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        assertThat(r.body()).as(url).isEqualTo(expected);
        assertThat(r.headers().firstValue("Content-Type")).as(url).contains("application/json");
        assertThat(r.headers().firstValue("Cache-Control")).as(url).contains("public, max-age=300");
    }

    @Test
    void mirrorsTwoClustersIntoOneContainerAndRepairsDrift() throws Exception {
        try (Azurite azurite = new Azurite(work.resolve("azurite"))) {
            var container = azurite.publicContainer("oidc");
            int portA = TestData.freePort(), mgmtA = TestData.freePort(), portB = TestData.freePort(), mgmtB = TestData.freePort();
            try (JarProcess a = service(azurite, "cluster-a", portA, mgmtA);
                 JarProcess b = service(azurite, "cluster-b", portB, mgmtB)) {
                for (var c : List.of(new Object[] {"cluster-a", portA}, new Object[] {"cluster-b", portB})) {
                    String cluster = (String) c[0];
                    int port = (int) c[1];
                    byte[] jwks = get("http://127.0.0.1:" + port + "/openid/v1/jwks").body();
                    byte[] discovery = get("http://127.0.0.1:" + port + "/.well-known/openid-configuration").body();
                    awaitPublic(azurite.containerUrl("oidc") + cluster + "/openid/v1/jwks", jwks);
                    awaitPublic(azurite.containerUrl("oidc") + cluster + "/.well-known/openid-configuration", discovery);
                }
                assertThat(get(azurite.containerUrl("oidc") + "cluster-a/openid/v1/jwks").body())
                        .isNotEqualTo(get(azurite.containerUrl("oidc") + "cluster-b/openid/v1/jwks").body());

                // Drift: one blob deleted, another changed by hand (wrong bytes and content type).
                byte[] jwksA = get("http://127.0.0.1:" + portA + "/openid/v1/jwks").body();
                byte[] discoveryA = get("http://127.0.0.1:" + portA + "/.well-known/openid-configuration").body();
                container.getBlobClient("cluster-a/openid/v1/jwks").delete();
                container.getBlobClient("cluster-a/.well-known/openid-configuration").uploadWithResponse(
                        new BlobParallelUploadOptions(BinaryData.fromString("{\"issuer\":\"tampered\"}"))
                                .setHeaders(new BlobHttpHeaders().setContentType("text/plain")), null, null);
                assertThat(get(azurite.containerUrl("oidc") + "cluster-a/openid/v1/jwks").statusCode()).isEqualTo(404);
                awaitPublic(azurite.containerUrl("oidc") + "cluster-a/openid/v1/jwks", jwksA);
                awaitPublic(azurite.containerUrl("oidc") + "cluster-a/.well-known/openid-configuration", discoveryA);

                // The counter moves when the repair's read-back returns, which can be just after the blob is back.
                String metrics = "";
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (!metrics.contains("issuer_mirror_drift_repaired_total 2.0") && System.nanoTime() < until) {
                    Thread.sleep(100);
                    metrics = new String(get("http://127.0.0.1:" + mgmtA + "/actuator/prometheus").body(), StandardCharsets.UTF_8);
                }
                assertThat(metrics).contains("issuer_mirror_verified{mirror=\"azure-blob\"} 1.0")
                        .contains("issuer_mirror_verified{mirror=\"filesystem\"} 1.0")
                        .contains("issuer_mirror_drift_repaired_total 2.0").contains("issuer_mirror_published_total 4.0");
                assertThat(a.output()).contains("Mirrored")
                        // The consistency guard: Entra derives the discovery URL from the issuer, which is not Azurite here.
                        .contains("Entra ID will fetch discovery from https://oidc.example.com/cluster-a/.well-known/openid-configuration");
            }
        }
    }

    /**
     * Azurite goes down while a rotation waits at the gate: the NEXT key must not activate and signing
     * goes on with the old key; when Azurite is back, the key is verified publicly and activates. No token
     * may carry a kid that anonymous readers could not fetch for publish-ahead.
     */
    @Test
    void rotationWaitsForThePublicCopyThroughAnOutage() throws Exception {
        try (Azurite azurite = new Azurite(work.resolve("azurite"))) {
            azurite.publicContainer("oidc");
            int port = TestData.freePort(), mgmt = TestData.freePort();
            Path socket = work.resolve("signer.sock");
            Duration publishAhead = Duration.ofSeconds(3);
            try (JarProcess service = service(azurite, "cluster-a", port, mgmt, "--issuer.rotation.period=14s",
                    "--issuer.rotation.publish-ahead=3s", "--issuer.http.max-age=1s", "--issuer.signer.refresh-hint=1s",
                    "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.check-interval=200ms",
                    "--issuer.signer.socket=" + socket);
                 SignerClient signer = new SignerClient(socket)) {
                String publicJwks = azurite.containerUrl("oidc") + "cluster-a/openid/v1/jwks";
                Map<String, Long> firstPublic = new HashMap<>();
                List<Object[]> tokens = new ArrayList<>(); // {nanos, kid}
                String claims = TestData.kubeClaims("https://oidc.example.com/cluster-a", "a");
                boolean azuriteUp = true;
                boolean sawHeldBack = false;
                String firstKid = null;
                String activated = null;
                long start = System.nanoTime();
                long deadline = start + Duration.ofSeconds(60).toNanos();
                while (activated == null && System.nanoTime() < deadline) {
                    long now = System.nanoTime();
                    if (azuriteUp) {
                        try {
                            var r = get(publicJwks);
                            if (r.statusCode() == 200) {
                                for (JWK k : JWKSet.parse(new String(r.body(), StandardCharsets.UTF_8)).getKeys()) {
                                    firstPublic.putIfAbsent(k.getKeyID(), now);
                                }
                            }
                        } catch (java.io.IOException down) {
                            // between stop and start
                        }
                    }
                    if (firstKid == null && !firstPublic.isEmpty()) {
                        firstKid = firstPublic.keySet().iterator().next();
                    }
                    if (firstKid != null) {
                        String kid = JWSObject.parse(signer.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build())
                                .getHeader() + "." + claims + ".x").getHeader().getKeyID();
                        tokens.add(new Object[] {now, kid});
                        if (!kid.equals(firstKid)) {
                            activated = kid;
                        }
                    }
                    long elapsed = Duration.ofNanos(now - start).toSeconds();
                    if (azuriteUp && firstKid != null && elapsed >= 5 && !sawHeldBack) {
                        azurite.stop(); // outage before the NEXT key is even published
                        azuriteUp = false;
                    }
                    if (!azuriteUp && elapsed >= 20) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> rotation = (Map<String, Object>) ((Map<String, Object>) JSONObjectUtils.parse(
                                new String(get("http://127.0.0.1:" + mgmt + "/actuator/health/issuer").body(),
                                        StandardCharsets.UTF_8)).get("details")).get("rotation");
                        assertThat(rotation.get("onSchedule")).as("rotation health during the outage: %s\n%s", rotation,
                                service.output()).isEqualTo(false);
                        assertThat((String) rotation.get("waitingFor")).contains("[azure-blob] have not confirmed NEXT kid");
                        sawHeldBack = true;
                        azurite.start();
                        azuriteUp = true;
                    }
                    Thread.sleep(50);
                }
                assertThat(sawHeldBack).as(service.output()).isTrue();
                assertThat(activated).as("the NEXT key activated after the outage\n" + service.output()).isNotNull();
                int unconfirmed = 0;
                for (Object[] t : tokens) {
                    Long seen = firstPublic.get((String) t[1]);
                    // Tolerance: the public copy is polled every ~50 ms plus a request.
                    if (seen == null || (long) t[0] - seen < publishAhead.minusMillis(500).toNanos()) {
                        if (!t[1].equals(firstKid)) {
                            unconfirmed++;
                        }
                    }
                }
                assertThat(unconfirmed).as("tokens signed with a kid not publicly confirmed for publish-ahead").isZero();
                assertThat(service.output()).contains("azure-blob mirror not confirmed, rotation waits")
                        .contains("ACTIVE key signs past its period");
                System.out.println("mirror outage: " + tokens.size() + " tokens, 0 signed with an unconfirmed kid; held back"
                        + " through the outage, activated " + activated);
            }
        }
    }
}
