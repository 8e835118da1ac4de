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
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * `doctor` against the running service's public copy on Azurite, with each failure provoked; and against a
 * corpus of broken publications on a plain web server, each of which must end in a FAIL line, never a stack trace.
 */
class DoctorIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private String token(PrivateKey key, String kid, String issuer, String audience) throws Exception {
        return token(work, key, kid, issuer, audience, "system:serviceaccount:myns:myapp");
    }

    /** A projected-token look-alike signed with {@code key}, written to a file in {@code dir}; returns its path. */
    static String token(Path work, PrivateKey key, String kid, String issuer, String audience, String subject)
            throws Exception {
        var claims = new JWTClaimsSet.Builder().issuer(issuer).subject(subject)
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
                assertThat(ok.output()).as(ok.output()).contains("doctor: all 19 checks passed")
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

    // ------------------------------------------------------------------------------------------------ broken publications

    /** kube-apiserver's own JWKS for its test keys: one RS256 and one ES256 key. */
    static final String KUBE_JWKS = TestData.read(TestData.vector("k8s-openidmetadata-expected/valid-inputs.jwks.json"));
    /** Its RSA key alone: a JWKS Entra accepts. */
    static final String RSA_JWKS = KUBE_JWKS.substring(0, KUBE_JWKS.indexOf(",{\"use\":\"sig\",\"kty\":\"EC\"")) + "]}";

    static DocumentSite site;
    /** Accepts connections (the kernel completes the handshake) and never answers. */
    static ServerSocket silent;
    static int refusedPort;
    @TempDir
    static Path tokens;

    /**
     * @param name     the path the case is published under: issuer = site + "/" + name
     * @param discovery the discovery document ({issuer} and {site} filled in); null for the healthy one
     * @param jwks     what is served at {issuer}/jwks
     * @param args     extra doctor arguments
     * @param expected lines the output must contain: the FAIL line, the problem, the consequence, the fix
     */
    record Broken(String name, String discovery, String jwks, List<String> args, int exit, List<String> expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final String DISCOVERY = "{\"issuer\":\"{issuer}\",\"jwks_uri\":\"{issuer}/jwks\","
            + "\"response_types_supported\":[\"id_token\"],\"subject_types_supported\":[\"public\"],"
            + "\"id_token_signing_alg_values_supported\":[\"RS256\"]}";

    private static Broken jwks(String name, String jwks, String... expected) {
        return new Broken(name, DISCOVERY, jwks, List.of(), 1, List.of(expected));
    }

    private static Broken discovery(String name, String discovery, String... expected) {
        return new Broken(name, discovery, RSA_JWKS, List.of(), 1, List.of(expected));
    }

    private static Broken token(String name, String file, String... expected) {
        return new Broken(name, DISCOVERY, RSA_JWKS, List.of("--token", file), 1, List.of(expected));
    }

    private static final String UNREACHABLE = "Entra ID would answer: AADSTS50166 / AADSTS90061";
    private static final String NO_KID = "Entra ID would answer: AADSTS7000272";
    private static final String UNCHANGED = "Fix: publish the service's documents unchanged";
    private static final String REACHABLE_FIX = "Fix: make the endpoint reachable from the internet";

    static List<Broken> brokenPublications() {
        String jwksAt = "{\"issuer\":\"{issuer}\",\"jwks_uri\":\"%s\"}";
        return List.of(
                jwks("jwks-not-json", "<html>Service Unavailable</html>", "FAIL  JWKS parses as a JSON object",
                        "it is not a JSON object", UNREACHABLE, UNCHANGED),
                jwks("jwks-without-keys", "{\"kid\":\"x\"}", "FAIL  JWKS has a 'keys' array",
                        "it has no 'keys' member", NO_KID, UNCHANGED),
                jwks("keys-not-an-array", "{\"keys\":{\"kty\":\"RSA\"}}", "FAIL  JWKS has a 'keys' array",
                        "'keys' is an object, not an array", NO_KID),
                jwks("empty-keys", "{\"keys\":[]}", "FAIL  JWKS has at least one key", "'keys' is empty", NO_KID,
                        "Fix: check /actuator/health (mirror, rotation)"),
                jwks("jwk-without-its-members", "{\"keys\":[{\"use\":\"sig\"},{\"kty\":\"RSA\",\"kid\":\"k2\",\"e\":\"AQAB\"},"
                                + "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
                        "FAIL  every key has kty, kid and its public members",
                        "key 1: no 'kty', no 'kid'; key 2 (kid k2): no 'n'; key 3: no 'kid'", NO_KID, UNCHANGED),
                jwks("jwk-not-an-object", "{\"keys\":[\"MIIBIjANBg\"]}", "FAIL  every key has kty, kid and its public members",
                        "key 1: is a string, not a JSON object", NO_KID),
                jwks("es256-key", KUBE_JWKS, "FAIL  every key is RS256", "not RS256: SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc (ES256)",
                        "Entra ID would answer: AADSTS700027", "Fix: use issuer.rotation.algorithm=RSA-2048"),
                discovery("discovery-not-an-object", "[\"{issuer}\"]", "FAIL  discovery document parses as a JSON object",
                        UNREACHABLE, UNCHANGED),
                discovery("discovery-without-jwks-uri", "{\"issuer\":\"{issuer}\"}", "FAIL  discovery has an https jwks_uri",
                        "it has none", UNREACHABLE, UNCHANGED),
                discovery("jwks-uri-not-a-url", jwksAt.formatted("openid/v1/jwks"), "FAIL  discovery has an https jwks_uri",
                        "jwks_uri 'openid/v1/jwks' has no scheme", UNREACHABLE),
                discovery("issuer-mismatch", DISCOVERY.replace("\"issuer\":\"{issuer}\"", "\"issuer\":\"https://other.example.com\""),
                        "FAIL  discovery issuer equals", "it says 'https://other.example.com'",
                        "Entra ID would answer: AADSTS700211", "Fix: make issuer.url, kube-apiserver --service-account-issuer"),
                discovery("issuer-not-a-string", DISCOVERY.replace("\"issuer\":\"{issuer}\"", "\"issuer\":42"),
                        "FAIL  discovery issuer equals", "its issuer is a number, not a string", "AADSTS700211"),
                discovery("jwks-uri-refused", jwksAt.formatted("http://127.0.0.1:{refused}/jwks"),
                        "FAIL  JWKS is reachable anonymously at http://127.0.0.1:{refused}/jwks",
                        "refused: nothing accepts connections on 127.0.0.1:{refused}", UNREACHABLE, REACHABLE_FIX),
                discovery("jwks-uri-dns", jwksAt.formatted("http://jwks.doctor-test.invalid/jwks"),
                        "FAIL  JWKS is reachable anonymously at http://jwks.doctor-test.invalid/jwks",
                        "DNS: the host name 'jwks.doctor-test.invalid' does not resolve", UNREACHABLE,
                        "Fix: publish a public DNS record for the host"),
                new Broken("jwks-uri-timeout", jwksAt.formatted("http://127.0.0.1:{silent}/jwks"), RSA_JWKS,
                        List.of("--timeout", "2s"), 1, List.of("FAIL  JWKS is reachable anonymously at http://127.0.0.1:{silent}/jwks",
                        "timeout: 127.0.0.1:{silent} accepted the connection but sent no answer within 2 s", UNREACHABLE,
                        REACHABLE_FIX)),
                // https to a port that speaks plain http: the whole issuer.
                new Broken("tls", null, RSA_JWKS, List.of("--issuer", "https://127.0.0.1:{plain-port}/tls"), 1,
                        List.of("PASS  issuer uses https",
                                "FAIL  discovery document is reachable anonymously at https://127.0.0.1:{plain-port}/tls/.well-known",
                                "TLS: the handshake with 127.0.0.1:{plain-port} failed", UNREACHABLE,
                                "Fix: serve https with a publicly trusted certificate")),
                token("token-file-missing", "{tokens}/missing.jwt", "FAIL  token file {tokens}/missing.jwt can be read",
                        "no such file", "Entra ID would answer: AADSTS50027", "Fix: pass the projected token file"),
                token("token-file-is-a-directory", "{tokens}", "FAIL  token file {tokens} can be read", "it is a directory",
                        "AADSTS50027"),
                token("token-not-a-jwt", "{tokens}/not-a-jwt", "FAIL  token file is a JWT", "it is not a signed JWT",
                        "Entra ID would answer: AADSTS50027", "Fix: pass the projected token file"));
    }

    @BeforeAll
    static void publishCorpus() throws Exception {
        site = new DocumentSite();
        silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        refusedPort = TestData.freePort();
        Files.writeString(tokens.resolve("not-a-jwt"), "this is not a token\n");
        for (Broken b : brokenPublications()) {
            String issuer = site.url() + "/" + b.name();
            site.publish("/" + b.name() + "/.well-known/openid-configuration", "application/json",
                    fill(b.discovery() == null ? DISCOVERY : b.discovery()).replace("{issuer}", issuer));
            site.publish("/" + b.name() + "/jwks", "application/json", b.jwks());
        }
    }

    @AfterAll
    static void stopCorpus() throws Exception {
        site.close();
        silent.close();
    }

    private static String fill(String s) {
        return s.replace("{refused}", Integer.toString(refusedPort)).replace("{silent}", Integer.toString(silent.getLocalPort()))
                .replace("{plain-port}", Integer.toString(site.plainHttpPort())).replace("{tokens}", tokens.toString());
    }

    /** A Java stack trace line, or an exception class printed with its message. */
    private static final Pattern STACK_TRACE = Pattern.compile("(?m)^\\s+at \\S+\\(|\\b\\w+(Exception|Error):|Caused by:");

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenPublications")
    void eachBrokenPublicationIsAFailLineWithItsConsequenceAndFix(Broken b) throws Exception {
        List<String> args = new ArrayList<>(b.args().contains("--issuer") ? List.of("doctor")
                : List.of("doctor", "--issuer", site.url() + "/" + b.name(), "--allow-http"));
        b.args().forEach(a -> args.add(fill(a)));
        var r = JarProcess.run(work, args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isEqualTo(b.exit());
        for (String line : b.expected()) {
            assertThat(r.output()).contains(fill(line));
        }
        assertThat(r.output()).doesNotContainPattern(STACK_TRACE).doesNotContain("\tat ");
        assertThat(r.output()).contains("checks failed");
    }

    /** An empty key list is not a key-count or algorithm question. */
    @Test
    void anEmptyKeyListIsNotBlamedOnMaxKeysNorPassedAsRs256() throws Exception {
        var r = JarProcess.run(work, "doctor", "--issuer", site.url() + "/empty-keys", "--allow-http");
        assertThat(r.output()).as(r.output()).doesNotContain("max-keys").doesNotContain("every key is RS256")
                .contains("FAIL  JWKS has at least one key");
    }

    @Test
    void anIssuerThatIsNotAUrlIsAUsageError() throws Exception {
        var r = JarProcess.run(work, "doctor", "--issuer", "notaurl");
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.output()).contains("--issuer: issuer URL 'notaurl' has no scheme; it must start with https://")
                .contains("Usage: issuer-service doctor").doesNotContainPattern(STACK_TRACE);
    }
}
