package io.kubeoidc.service.it;

import static io.kubeoidc.service.it.Await.await;
import static io.kubeoidc.service.it.Await.quietly;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example workload (examples/workload, its built jar run unchanged as its own process) against the whole
 * chain: the issuer signs the projected token on its KEP-740 socket as kube-apiserver would, a kubelet stand-in
 * writes and renews it where AZURE_FEDERATED_TOKEN_FILE points, the Azure Identity SDK exchanges it at an Entra
 * stand-in that fetches discovery and JWKS anonymously from the public copy the issuer mirrors into Azurite over
 * https, and the Blob SDK presents the access token to Azurite in its OAuth mode.
 *
 * <p>The workload's JVM gets environment only, no code: a trust store holding the test certificate alone, and a
 * hosts file (jdk.net.hosts.file) that resolves login.microsoftonline.com to 127.0.0.1 and nothing else, because
 * MSAL sends instance discovery to that host for an authority host it does not know.
 *
 * <p>Needs examples/workload/target/workload.jar: the reactor builds that module before this one
 * ({@code ./mvnw -pl examples/workload,issuer-service -am verify -Dit.test=WorkloadChainIT}).
 */
class WorkloadChainIT {
    static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    static final String CLIENT_ID = "0b3a4bd4-5b45-4e0a-9c38-6f2b8c4f1c11";
    static final String SUBJECT = "system:serviceaccount:shop:orders";
    static final String CONTAINER = "orders";
    static final String BLOB = "workload-identity-check/orders-7d9c5";

    @TempDir
    Path work;

    static Path workloadJar() {
        Path jar = Path.of(System.getProperty("workload.jar", "../examples/workload/target/workload.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: build examples/workload first (the reactor builds it"
                    + " before issuer-service; with -pl, name both: -pl examples/workload,issuer-service)");
        }
        return jar;
    }

    @Test
    void theExampleWorkloadReachesBlobStorageAcrossARotationAndAnUnpublishedKeyIsRefused() throws Exception {
        Path jar = workloadJar();
        SelfSignedTls tls = new SelfSignedTls(work.resolve("tls"), "IP:127.0.0.1", "DNS:localhost",
                "DNS:" + EntraStandIn.HOST);
        HttpClient anonymous = HttpClient.newBuilder().sslContext(tls.clientContext())
                .connectTimeout(Duration.ofSeconds(5)).build();
        Path hosts = Files.writeString(work.resolve("hosts"), "127.0.0.1 " + EntraStandIn.HOST + " localhost\n");
        List<String> workloadJvm = new ArrayList<>(tls.trustOptions());
        workloadJvm.add("-Djdk.net.hosts.file=" + hosts);

        try (Azurite azurite = new Azurite(work.resolve("azurite"), tls)) {
            azurite.publicContainer("oidc");
            azurite.client().buildClient().createBlobContainer(CONTAINER); // private: only a bearer token opens it
            String issuer = azurite.containerUrl("oidc") + "cluster-a";
            int port = TestData.freePort();
            int mgmt = TestData.freePort();
            Path socket = work.resolve("signer.sock");
            // The first rotation comes 40 s after the first key: time for the first exchanges with it.
            try (JarProcess service = JarProcess.start(work, tls.trustOptions(), "--server.port=" + port,
                    "--management.server.port=" + mgmt, "--issuer.url=" + issuer, "--issuer.keys.directory=keys",
                    "--issuer.mirror.azure.connection-string=" + azurite.connectionString(),
                    "--issuer.mirror.azure.container=oidc", "--issuer.mirror.azure.prefix=cluster-a/",
                    "--issuer.mirror.azure.public-base-url=" + azurite.containerUrl("oidc"),
                    "--issuer.mirror.interval=1s", "--issuer.signer.socket=" + socket,
                    "--issuer.rotation.period=40s", "--issuer.rotation.publish-ahead=3s", "--issuer.http.max-age=1s",
                    "--issuer.signer.refresh-hint=1s", "--issuer.tokens.max-lifetime=10m",
                    "--issuer.rotation.check-interval=200ms", "--issuer.rotation.retention=10m",
                    "--issuer.rotation.max-keys=100").awaitReady(mgmt);
                 EntraStandIn entra = new EntraStandIn(TENANT, CLIENT_ID,
                         List.of(EntraStandIn.FederatedCredential.of(issuer, SUBJECT)), anonymous, Clock.systemUTC())
                         .serve(tls.serverContext())) {
                Path tokenFile = work.resolve("var/run/secrets/azure/tokens/azure-identity-token");
                ProjectedToken kubelet = new ProjectedToken(socket, tokenFile, issuer, SUBJECT, Duration.ofSeconds(60));
                String firstKid = kubelet.kid();
                // The signer signs only with a key the public copy has confirmed; seen here from outside.
                await("the public copy in Azurite (https, anonymous) publishes the signing kid", Duration.ofSeconds(60),
                        quietly(() -> publicKids(anonymous, issuer).contains(firstKid)));

                Map<String, String> env = workloadEnv(entra, azurite, tokenFile);
                env.put("CHECK_INTERVAL_SECONDS", "1");
                try (JarProcess app = JarProcess.startOther(jar, work, workloadJvm, env)) {
                    app.awaitOutput("round 1 ok: wrote and read back " + azurite.containerUrl(CONTAINER) + BLOB,
                            JarProcess.LOADED_MACHINE);
                    assertThat(entra.exchanges()).as(app.output()).first()
                            .isEqualTo(new EntraStandIn.Exchange(firstKid, SUBJECT, "granted"));

                    // A live rotation: the next key activates, kubelet's next renewal carries it, and the
                    // workload's next exchange (its SDK re-reads the file) is granted with it.
                    await("a new key signs, kubelet renews the token with it, and the workload exchanges it",
                            Duration.ofSeconds(300), () -> {
                                kubelet.renewIfDue();
                                return entra.exchanges().stream().anyMatch(e -> !e.kid().equals(firstKid));
                            });
                    String secondKid = kubelet.kid();
                    assertThat(secondKid).isNotEqualTo(firstKid);
                    assertThat(publicKids(anonymous, issuer)).as("the retired key stays published").contains(firstKid);
                    int done = (int) app.output().lines().filter(l -> l.contains(" ok: ")).count();
                    app.awaitOutput("round " + (done + 2) + " ok: ", JarProcess.LOADED_MACHINE);
                    assertThat(entra.exchanges()).as("every exchange, before and after the rotation")
                            .allSatisfy(e -> assertThat(e.outcome()).isEqualTo("granted"))
                            .extracting(EntraStandIn.Exchange::kid).contains(firstKid, secondKid);
                    assertThat(app.output()).doesNotContain("FAILED");
                }
                // What the workload wrote with its OAuth token, read back here with the account key.
                String stored = azurite.client().buildClient().getBlobContainerClient(CONTAINER).getBlobClient(BLOB)
                        .downloadContent().toString();
                assertThat(stored).startsWith("round ");

                // Azurite's OAuth mode does check the token: one for another audience is refused.
                assertThat(blobGet(anonymous, azurite, storageToken("https://vault.azure.net"))).contains("AuthenticationFailed");

                // A token signed by a key that was never published (what an apiserver signing with a key the
                // issuer does not know would produce): Entra cannot find its kid, and the workload says so.
                RSAKey rogue = new RSAKeyGenerator(2048).generate();
                String rogueKid = Base64URL.encode(MessageDigest.getInstance("SHA-256")
                        .digest(rogue.toPublicKey().getEncoded())).toString();
                assertThat(publicKids(anonymous, issuer)).doesNotContain(rogueKid);
                SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(rogueKid)
                        .type(JOSEObjectType.JWT).build(), JWTClaimsSet.parse(new String(java.util.Base64.getUrlDecoder()
                        .decode(TestData.kubeClaims(issuer, SUBJECT)), StandardCharsets.UTF_8)));
                forged.sign(new RSASSASigner(rogue));
                Path forgedFile = work.resolve("forged/azure-identity-token");
                Files.createDirectories(forgedFile.getParent());
                ProjectedToken.write(forgedFile, forged.serialize());
                try (JarProcess app = JarProcess.startOther(jar, work, workloadJvm,
                        workloadEnv(entra, azurite, forgedFile))) {
                    assertThat(app.awaitExit()).as(app.output()).isEqualTo(1);
                    assertThat(app.output()).contains("round 1 FAILED: ").contains("AADSTS7000272: The certificate with"
                            + " identifier '" + rogueKid + "' used to sign the federated credential could not be found in"
                            + " the metadata of identity provider '" + issuer + "'");
                }
                assertThat(entra.exchanges()).last().isEqualTo(new EntraStandIn.Exchange(rogueKid, SUBJECT,
                        "AADSTS7000272"));
                System.out.println("workload chain: " + entra.exchanges().size() + " exchanges; kids " + firstKid + " -> "
                        + RotationIT.activeKid(mgmt) + "; unpublished " + rogueKid + " refused");
            }
        }
    }

    /** A setting the workload cannot run without, or cannot read, is named before anything is contacted. */
    @Test
    void theWorkloadNamesAMissingOrBadSetting() throws Exception {
        Path jar = workloadJar();
        Map<String, String> env = new HashMap<>(Map.of("CONTAINER", CONTAINER));
        try (JarProcess app = JarProcess.startOther(jar, work, JarProcess.SHORT_LIVED, env)) {
            assertThat(app.awaitExit()).as(app.output()).isEqualTo(2);
            assertThat(app.output()).contains("STORAGE_ACCOUNT_URL is not set (see examples/workload/README.md)");
        }
        env.put("STORAGE_ACCOUNT_URL", "https://127.0.0.1:1/devstoreaccount1");
        env.put("CHECK_INTERVAL_SECONDS", "1m");
        try (JarProcess app = JarProcess.startOther(jar, work, JarProcess.SHORT_LIVED, env)) {
            assertThat(app.awaitExit()).as(app.output()).isEqualTo(2);
            assertThat(app.output()).contains("CHECK_INTERVAL_SECONDS is '1m': give a whole number of seconds above 0,"
                    + " or leave it unset for one round");
        }
    }

    /** The environment the azure-workload-identity webhook injects, and the example's own settings. */
    private static Map<String, String> workloadEnv(EntraStandIn entra, Azurite azurite, Path tokenFile) {
        Map<String, String> env = new HashMap<>();
        env.put("AZURE_CLIENT_ID", CLIENT_ID);
        env.put("AZURE_TENANT_ID", TENANT);
        env.put("AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString());
        env.put("AZURE_AUTHORITY_HOST", entra.authorityHost());
        // As in examples/workload/k8s/deployment.yaml: DefaultAzureCredential tries nothing else.
        env.put("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential");
        env.put("STORAGE_ACCOUNT_URL", azurite.accountUrl());
        env.put("CONTAINER", CONTAINER);
        env.put("BLOB_NAME", BLOB);
        return env;
    }

    private static Set<String> publicKids(HttpClient anonymous, String issuer) throws Exception {
        String discovery = anonymous.send(HttpRequest.newBuilder(URI.create(issuer + "/.well-known/openid-configuration"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        String jwksUri = (String) com.nimbusds.jose.util.JSONObjectUtils.parse(discovery).get("jwks_uri");
        return ServiceNode.kids(anonymous.send(HttpRequest.newBuilder(URI.create(jwksUri)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /** A storage token as the stand-in makes them, but for {@code audience}. */
    private static String storageToken(String audience) throws Exception {
        Instant now = Instant.now();
        SignedJWT token = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), new JWTClaimsSet.Builder().audience(audience)
                .issuer("https://sts.windows.net/" + TENANT + "/").issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300))).build());
        token.sign(new RSASSASigner(new RSAKeyGenerator(2048).generate()));
        return token.serialize();
    }

    private static String blobGet(HttpClient client, Azurite azurite, String bearer) throws Exception {
        var r = client.send(HttpRequest.newBuilder(URI.create(azurite.containerUrl(CONTAINER) + BLOB))
                .header("Authorization", "Bearer " + bearer).header("x-ms-version", "2021-08-06").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
        return r.body();
    }
}
