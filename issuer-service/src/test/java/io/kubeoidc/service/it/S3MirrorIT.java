package io.kubeoidc.service.it;

import static io.kubeoidc.service.it.AzureMirrorIT.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.store.DirectoryKeyStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** The S3 mirror against Adobe S3Mock, read back by a plain anonymous HTTP client and by the AWS SDK as another tool. */
class S3MirrorIT {
    static final String JWKS = "cluster-a/openid/v1/jwks";
    static final String DISCOVERY = "cluster-a/.well-known/openid-configuration";

    @TempDir
    Path work;

    private JarProcess service(S3Mock s3, int port, int mgmt, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com/cluster-a", "--issuer.keys.directory=keys",
                "--issuer.mirror.interval=1s"));
        args.addAll(s3.serviceArguments("cluster-a/"));
        args.addAll(List.of(extra));
        return JarProcess.start(work, S3Mock.credentialOptions(), args.toArray(String[]::new)).awaitReady(mgmt);
    }

    /** Waits (60 s) until an anonymous GET returns exactly {@code expected}, then checks the headers STS gets. */
    private static void awaitPublic(String url, byte[] expected) throws Exception {
        await(url + " serves the bytes the service serves", () -> {
            var r = get(url);
            return r.statusCode() == 200 && Arrays.equals(r.body(), expected);
        });
        var r = get(url);
        assertThat(r.headers().firstValue("Content-Type")).as(url).contains("application/json");
        assertThat(r.headers().firstValue("Cache-Control")).as(url).contains("public, max-age=300");
    }

    static void await(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        Await.await(what, Duration.ofSeconds(60), condition);
    }

    private static String metrics(int mgmt) throws Exception {
        return new String(get("http://127.0.0.1:" + mgmt + "/actuator/prometheus").body(), StandardCharsets.UTF_8);
    }

    private static double sample(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1))).findFirst().orElse(-1);
    }

    @Test
    void publishesBothDocumentsWithTheirHeadersRepairsDriftAndKeepsNothingElseInTheBucket() throws Exception {
        try (S3Mock s3 = new S3Mock(work.resolve("s3mock"), "oidc")) {
            int port = TestData.freePort(), mgmt = TestData.freePort();
            try (JarProcess service = service(s3, port, mgmt); var client = s3.client()) {
                byte[] jwks = get("http://127.0.0.1:" + port + "/openid/v1/jwks").body();
                byte[] discovery = get("http://127.0.0.1:" + port + "/.well-known/openid-configuration").body();
                awaitPublic(s3.bucketUrl() + JWKS, jwks);
                awaitPublic(s3.bucketUrl() + DISCOVERY, discovery);
                for (String key : List.of(JWKS, DISCOVERY)) {
                    var head = client.headObject(r -> r.bucket("oidc").key(key));
                    assertThat(head.contentType()).as(key).isEqualTo("application/json");
                    assertThat(head.cacheControl()).as(key).isEqualTo("public, max-age=300");
                }
                String before = awaitMetrics(mgmt, "the first publication counted and both mirrors verified", m ->
                        sample(m, "issuer_mirror_drift_repaired_total") >= 0
                                && m.contains("issuer_mirror_verified{mirror=\"s3\"} 1.0")
                                && m.contains("issuer_mirror_verified{mirror=\"filesystem\"} 1.0"));
                assertThat(new String(get("http://127.0.0.1:" + mgmt + "/actuator/health/mirror").body(), StandardCharsets.UTF_8))
                        .contains("\"s3\":{\"storage\":\"S3 bucket s3://oidc at " + s3.endpoint()
                                + "\",\"issuer\":\"https://oidc.example.com/cluster-a\",\"verified\":true");

                // Drift: one object deleted, another edited by hand. The service's 1 s loop may repair either at any
                // moment, so what proves the repair is what comes after it: a newer ETag, the served bytes and
                // headers again, the drift counter up by two.
                double driftBefore = sample(before, "issuer_mirror_drift_repaired_total");
                String deletedEtag = client.headObject(r -> r.bucket("oidc").key(JWKS)).eTag();
                client.deleteObject(r -> r.bucket("oidc").key(JWKS));
                String tamperedEtag = client.putObject(r -> r.bucket("oidc").key(DISCOVERY).contentType("text/plain"),
                        RequestBody.fromString("{\"issuer\":\"tampered\"}")).eTag();
                awaitPublic(s3.bucketUrl() + JWKS, jwks);
                awaitPublic(s3.bucketUrl() + DISCOVERY, discovery);
                assertThat(client.headObject(r -> r.bucket("oidc").key(DISCOVERY)).eTag()).as("the edited object, written over")
                        .isNotEqualTo(tamperedEtag);
                assertThat(deletedEtag).isNotBlank();
                String after = awaitMetrics(mgmt, "both repairs counted as drift, s3 verified", m ->
                        sample(m, "issuer_mirror_drift_repaired_total") >= driftBefore + 2
                                && m.contains("issuer_mirror_verified{mirror=\"s3\"} 1.0"));
                assertThat(sample(after, "issuer_mirror_published_total")).as("a repair is not a publication")
                        .isEqualTo(sample(before, "issuer_mirror_published_total"));
                service.awaitOutput("s3 mirror drifted: " + JWKS + " was missing; rewrote it (" + jwks.length
                        + " bytes) and read it back");
                service.awaitOutput("s3 mirror drifted: " + DISCOVERY + " had different bytes (21 stored, "
                        + discovery.length + " served), Content-Type 'text/plain' instead of 'application/json'; rewrote it");
                // The consistency guard: STS derives the discovery URL from the issuer, which is not S3Mock here.
                assertThat(service.output()).contains("AWS STS will fetch discovery from"
                        + " https://oidc.example.com/cluster-a/.well-known/openid-configuration");

                // The bucket holds the two documents and nothing else; nothing secret anywhere.
                Map<String, byte[]> objects = s3.objects();
                assertThat(objects.keySet()).containsExactly(DISCOVERY, JWKS);
                SecretScan scan = new SecretScan().addCredential("AWS secret access key", S3Mock.SECRET_ACCESS_KEY);
                new DirectoryKeyStore(work.resolve("keys")).load().signingKeys().forEach((kid, k) -> scan.addKey(kid, k.storableKey().orElseThrow()));
                objects.forEach((key, bytes) -> scan.scan("object " + key, bytes));
                scan.scan("service log", service.output()).scanTree(s3.store()).scan("prometheus", metrics(mgmt))
                        .scan("health", get("http://127.0.0.1:" + mgmt + "/actuator/health/mirror").body());
                assertThat(scan.keys()).isPositive();
                assertThat(scan.hits()).as(scan.summary()).isEmpty();
            }
        }
    }

    private static String awaitMetrics(int mgmt, String what, java.util.function.Predicate<String> condition) throws Exception {
        await(what, () -> condition.test(metrics(mgmt)));
        return metrics(mgmt);
    }

    /**
     * Azure, S3 and the filesystem mirror at once. S3Mock is frozen (SIGSTOP: connections accepted, never answered)
     * and then killed while a rotation is due: Azure and the filesystem confirm the NEXT key, S3 does not, so it
     * must not activate and signing goes on with the ACTIVE key; when S3Mock is back the rotation resumes.
     */
    @Test
    void aNextKeyActivatesOnlyWhenEveryTargetConfirmedIt() throws Exception {
        try (S3Mock s3 = new S3Mock(work.resolve("s3mock"), "oidc");
             Azurite azurite = new Azurite(work.resolve("azurite"))) {
            azurite.publicContainer("oidc");
            int port = TestData.freePort(), mgmt = TestData.freePort();
            Path socket = work.resolve("signer.sock");
            try (JarProcess service = service(s3, port, mgmt, "--issuer.rotation.period=40s",
                    "--issuer.rotation.publish-ahead=3s", "--issuer.http.max-age=1s", "--issuer.signer.refresh-hint=1s",
                    "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.check-interval=200ms",
                    "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=100",
                    "--issuer.signer.socket=" + socket,
                    "--issuer.mirror.azure.connection-string=" + azurite.connectionString(),
                    "--issuer.mirror.azure.container=oidc", "--issuer.mirror.azure.prefix=cluster-a/",
                    "--issuer.mirror.azure.public-base-url=" + azurite.containerUrl("oidc"));
                 SignerClient signer = new SignerClient(socket)) {
                String claims = TestData.kubeClaims("https://oidc.example.com/cluster-a", "system:serviceaccount:a:b");
                String firstKid = RotationIT.activeKid(mgmt);
                await("the first key is on S3 and Azure", () -> publicKids(s3.bucketUrl() + JWKS).contains(firstKid)
                        && publicKids(azurite.containerUrl("oidc") + JWKS).contains(firstKid));
                s3.freeze();
                List<String> signedWhileHeld = new ArrayList<>();
                // A generous deadline: the period (40 s), then the Azure upload queued behind a hung S3 call.
                Await.await("rotation held past its period by S3 alone", Duration.ofSeconds(240), () -> {
                    signedWhileHeld.add(kid(signer, claims));
                    var rotation = rotation(mgmt);
                    return Boolean.FALSE.equals(rotation.get("onSchedule"))
                            && String.valueOf(rotation.get("waitingFor")).contains("[s3] have not confirmed NEXT kid")
                            && publicKids(azurite.containerUrl("oidc") + JWKS).size() == 2;
                });
                assertThat(String.valueOf(rotation(mgmt).get("waitingFor"))).doesNotContain("azure-blob")
                        .doesNotContain("filesystem");
                Set<String> onAzure = publicKids(azurite.containerUrl("oidc") + JWKS);
                String nextKid = onAzure.stream().filter(k -> !k.equals(firstKid)).findFirst().orElseThrow();

                s3.kill(); // from hung to gone: still no activation
                Await.await("the S3 target reports the outage", Duration.ofSeconds(120), () ->
                        !AzureMirrorIT.verified(AzureMirrorIT.target(mgmt, "s3")));
                for (int i = 0; i < 20; i++) {
                    signedWhileHeld.add(kid(signer, claims));
                }
                assertThat(signedWhileHeld).as("kids signed while S3 had not confirmed NEXT").containsOnly(firstKid);
                assertThat(RotationIT.activeKid(mgmt)).isEqualTo(firstKid);

                s3.start();
                Await.await("NEXT activates once S3 serves it", Duration.ofSeconds(180), () ->
                        nextKid.equals(kid(signer, claims)));
                assertThat(publicKids(s3.bucketUrl() + JWKS)).contains(nextKid, firstKid);
                assertThat(service.output()).contains("s3 mirror not confirmed, rotation waits")
                        .doesNotContain(S3Mock.SECRET_ACCESS_KEY);
            }
        }
    }

    private static String kid(SignerClient signer, String claims) throws Exception {
        var r = signer.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
        return JWSObject.parse(r.getHeader() + "." + claims + "." + r.getSignature()).getHeader().getKeyID();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> rotation(int mgmt) throws Exception {
        return (Map<String, Object>) RotationIT.issuerHealth(mgmt).get("rotation");
    }

    private static Set<String> publicKids(String url) throws Exception {
        var r = get(url);
        if (r.statusCode() != 200) {
            return Set.of();
        }
        return JWKSet.parse(new String(r.body(), StandardCharsets.UTF_8)).getKeys().stream().map(JWK::getKeyID)
                .collect(Collectors.toSet());
    }
}
