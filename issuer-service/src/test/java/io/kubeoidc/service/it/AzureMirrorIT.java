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
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
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

    /** Polls the Prometheus page until {@code condition} holds (30 s), and returns the page it held on. */
    private static String awaitMetrics(int mgmt, String what, java.util.function.Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String m = new String(get("http://127.0.0.1:" + mgmt + "/actuator/prometheus").body(), StandardCharsets.UTF_8);
        while (!condition.test(m) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            m = new String(get("http://127.0.0.1:" + mgmt + "/actuator/prometheus").body(), StandardCharsets.UTF_8);
        }
        assertThat(condition.test(m)).as("%s, in:%n%s", what, m).isTrue();
        return m;
    }

    /** The value of an unlabelled sample, or -1 when the page lacks it. */
    private static double sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1))).findFirst().orElse(-1);
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

                // Drift: one blob deleted, another changed by hand (wrong bytes and content type). The service's
                // 1 s loop may repair either one at any moment, even before the next line runs, so nothing here
                // looks for the drifted state itself: what proves the repair is what comes after it (a write
                // newer than ours, the served bytes and headers again, the drift counter up by two).
                byte[] jwksA = get("http://127.0.0.1:" + portA + "/openid/v1/jwks").body();
                byte[] discoveryA = get("http://127.0.0.1:" + portA + "/.well-known/openid-configuration").body();
                String before = awaitMetrics(mgmtA, "the first publication counted and verified", m ->
                        m.contains("issuer_mirror_published_total 4.0") && sample(m, "issuer_mirror_drift_repaired_total") >= 0
                                && m.contains("issuer_mirror_verified{mirror=\"azure-blob\"} 1.0")
                                && m.contains("issuer_mirror_verified{mirror=\"filesystem\"} 1.0"));
                double driftBefore = sample(before, "issuer_mirror_drift_repaired_total");
                var jwksBlob = container.getBlobClient("cluster-a/openid/v1/jwks");
                var discoveryBlob = container.getBlobClient("cluster-a/.well-known/openid-configuration");
                String deletedEtag = jwksBlob.getProperties().getETag();
                jwksBlob.delete();
                String tamperedEtag = discoveryBlob.uploadWithResponse(
                        new BlobParallelUploadOptions(BinaryData.fromString("{\"issuer\":\"tampered\"}"))
                                .setHeaders(new BlobHttpHeaders().setContentType("text/plain")), null, null).getValue().getETag();
                awaitPublic(azurite.containerUrl("oidc") + "cluster-a/openid/v1/jwks", jwksA);
                awaitPublic(azurite.containerUrl("oidc") + "cluster-a/.well-known/openid-configuration", discoveryA);
                assertThat(jwksBlob.getProperties().getETag()).as("the deleted JWKS blob, written again").isNotEqualTo(deletedEtag);
                assertThat(discoveryBlob.getProperties().getETag()).as("the tampered discovery blob, written over")
                        .isNotEqualTo(tamperedEtag);

                // The counter moves when the repair's read-back returns, which can be just after the blob is back.
                String metrics = awaitMetrics(mgmtA, "both repairs counted as drift, both mirrors verified", m ->
                        sample(m, "issuer_mirror_drift_repaired_total") >= driftBefore + 2
                                && m.contains("issuer_mirror_verified{mirror=\"azure-blob\"} 1.0")
                                && m.contains("issuer_mirror_verified{mirror=\"filesystem\"} 1.0"));
                assertThat(sample(metrics, "issuer_mirror_published_total")).as("a repair is not a publication: the key set"
                        + " did not change").isEqualTo(sample(before, "issuer_mirror_published_total"));
                // The repair says what it found and what it did (logged when its read-back returns).
                a.awaitOutput("azure-blob mirror drifted: cluster-a/openid/v1/jwks was missing; rewrote it ("
                        + jwksA.length + " bytes) and read it back");
                a.awaitOutput("azure-blob mirror drifted: cluster-a/.well-known/openid-configuration had different bytes"
                        + " (21 stored, " + discoveryA.length + " served), Content-Type 'text/plain' instead of"
                        + " 'application/json'; rewrote it (" + discoveryA.length + " bytes) and read it back");
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
            // The period leaves the start (slow on a loaded machine) time to end before NEXT is published.
            try (JarProcess service = service(azurite, "cluster-a", port, mgmt, "--issuer.rotation.period=40s",
                    "--issuer.rotation.publish-ahead=3s", "--issuer.http.max-age=1s", "--issuer.signer.refresh-hint=1s",
                    "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.check-interval=200ms",
                    "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=100", // 10m / 40s + 2 keys
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
                long deadline = start + Duration.ofSeconds(150).toNanos();
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
                    if (azuriteUp && firstKid != null && !sawHeldBack) {
                        azurite.stop(); // outage before the NEXT key is even published
                        azuriteUp = false;
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> rotation = azuriteUp ? null : (Map<String, Object>) ((Map<String, Object>)
                            JSONObjectUtils.parse(new String(get("http://127.0.0.1:" + mgmt + "/actuator/health/issuer")
                                    .body(), StandardCharsets.UTF_8)).get("details")).get("rotation");
                    // Held past the period by the outage: overdue (the normal confirmation latency never is).
                    if (rotation != null && Boolean.FALSE.equals(rotation.get("onSchedule"))) {
                        assertThat((String) rotation.get("waitingFor")).as("rotation health during the outage: %s\n%s",
                                rotation, service.output()).contains("[azure-blob] have not confirmed NEXT kid");
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

    @SuppressWarnings("unchecked")
    static Map<String, Object> target(int mgmt, String name) throws Exception {
        var health = JSONObjectUtils.parse(new String(get("http://127.0.0.1:" + mgmt + "/actuator/health/issuer").body(),
                StandardCharsets.UTF_8));
        return (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) health.get("details"))
                .get("publicationTargets")).get(name);
    }

    /** Polls health/issuer until the target's detail satisfies {@code condition}; returns that detail. */
    static Map<String, Object> awaitTarget(int mgmt, String name, Duration within,
                                           java.util.function.Predicate<Map<String, Object>> condition,
                                           JarProcess service) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        Map<String, Object> t = target(mgmt, name);
        while (!condition.test(t) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            t = target(mgmt, name);
        }
        assertThat(condition.test(t)).as("health of %s: %s\n%s", name, t, service.output()).isTrue();
        return t;
    }

    static boolean verified(Map<String, Object> t) {
        return Boolean.TRUE.equals(t.get("verified"));
    }

    /**
     * A steady state logs nothing (no SDK warnings, no per-pass lines); an outage logs its failure once, with
     * the blob URL and cause, however many passes fail; the recovery once.
     */
    @Test
    void aSteadyStateLogsNothingAndAnOutageOnce() throws Exception {
        try (Azurite azurite = new Azurite(work.resolve("azurite"))) {
            azurite.publicContainer("oidc");
            int port = TestData.freePort(), mgmt = TestData.freePort();
            try (JarProcess service = service(azurite, "cluster-a", port, mgmt)) {
                awaitTarget(mgmt, "azure-blob", Duration.ofSeconds(60), AzureMirrorIT::verified, service);
                int mark = service.output().length();
                // At least ten 1 s passes, counted by reading the public copy's last-verified time move on.
                Object first = target(mgmt, "azure-blob").get("lastVerified");
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                java.util.Set<Object> seen = new java.util.HashSet<>();
                while (seen.size() < 10 && System.nanoTime() < deadline) {
                    seen.add(target(mgmt, "azure-blob").get("lastVerified"));
                    Thread.sleep(300);
                }
                assertThat(seen).as("mirror passes seen (first %s)", first).hasSizeGreaterThanOrEqualTo(10);
                assertThat(service.output().substring(mark)).as("log of a steady state").isBlank();

                azurite.stop();
                String blobs = azurite.containerUrl("oidc");
                awaitTarget(mgmt, "azure-blob", Duration.ofSeconds(60), t -> !verified(t), service);
                // Ten more failing passes: the failure is still logged once.
                Object failedAt = null;
                deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                int failures = 0;
                while (failures < 10 && System.nanoTime() < deadline) {
                    String metrics = new String(get("http://127.0.0.1:" + mgmt + "/actuator/prometheus").body(),
                            StandardCharsets.UTF_8);
                    failures = (int) metrics.lines().filter(l -> l.startsWith("issuer_mirror_failures_total{")
                            && l.contains("mirror=\"azure-blob\"")).mapToDouble(l -> Double.parseDouble(
                            l.substring(l.lastIndexOf(' ') + 1))).sum();
                    Thread.sleep(300);
                }
                assertThat(failures).as("failed passes during the outage").isGreaterThanOrEqualTo(10);
                // One line; two when the stop caught a pass half-way (its step failed differently from the next ones).
                List<String> outage = service.output().substring(mark).lines().filter(l -> !l.isBlank()).toList();
                assertThat(outage).as("log of %d failed passes", failures).hasSizeBetween(1, 2)
                        .allSatisfy(l -> assertThat(l).contains("azure-blob mirror not confirmed, rotation waits")
                                .contains(blobs + "cluster-a/"));
                assertThat(service.output()).doesNotContain("header is restricted").doesNotContain("\tat ");

                azurite.start();
                awaitTarget(mgmt, "azure-blob", Duration.ofSeconds(60), AzureMirrorIT::verified, service);
                assertThat(service.output().substring(mark).lines().filter(l -> !l.isBlank()).toList())
                        .as("log of the outage and the recovery").hasSize(outage.size() + 1)
                        .last().asString().contains("azure-blob mirror verified again");
            }
        }
    }

    /**
     * A hung endpoint (Azurite stopped with SIGSTOP: connections open, no answers) answers no check, so it
     * records no error either; health must still turn the target unverified, naming the URL and how long.
     */
    @Test
    void aHungEndpointTurnsTheTargetUnverifiedNamingTheUrl() throws Exception {
        try (Azurite azurite = new Azurite(work.resolve("azurite"))) {
            azurite.publicContainer("oidc");
            int port = TestData.freePort(), mgmt = TestData.freePort();
            try (JarProcess service = service(azurite, "cluster-a", port, mgmt)) {
                awaitTarget(mgmt, "azure-blob", Duration.ofSeconds(60), AzureMirrorIT::verified, service);
                azurite.freeze();
                try {
                    var hung = awaitTarget(mgmt, "azure-blob", Duration.ofSeconds(150),
                            t -> !verified(t) && String.valueOf(t.get("error")).startsWith("check overdue"), service);
                    assertThat((String) hung.get("error"))
                            .containsPattern("none has completed for \\d+s \\(every 1s expected\\)")
                            .contains("http://127.0.0.1:" + azurite.port + "/devstoreaccount1/oidc")
                            .containsPattern("has not answered for \\d+s");
                    var mirrorHealth = new String(get("http://127.0.0.1:" + mgmt + "/actuator/health/mirror").body(),
                            StandardCharsets.UTF_8);
                    assertThat(mirrorHealth).contains("\"verified\":false");
                } finally {
                    azurite.thaw();
                }
                awaitTarget(mgmt, "azure-blob", Duration.ofSeconds(150), AzureMirrorIT::verified, service);
                assertThat(target(mgmt, "azure-blob")).doesNotContainKey("error");
            }
        }
    }
}
