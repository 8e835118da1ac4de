package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.grpc.StatusRuntimeException;
import io.kubeoidc.externaljwt.v1.FetchKeysRequest;
import io.kubeoidc.externaljwt.v1.FetchKeysResponse;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.externaljwt.v1.SignJWTResponse;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KEP-740 signer of the real jar, driven from Python (kube-apiserver's rules) and from Java. */
class ExternalSignerIT {
    static final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private JarProcess startWithSigner(Path socket, int port, int mgmt, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.allow-insecure-http=true", "--issuer.signer.socket=" + socket));
        if (Stream.of(extra).noneMatch(a -> a.startsWith("--issuer.url="))) {
            args.add("--issuer.url=http://127.0.0.1:" + port);
        }
        args.addAll(List.of(extra));
        return JarProcess.start(work, args.toArray(String[]::new)).awaitReady(mgmt);
    }

    /** The upstream vector's claims carry iss https://oidc.example.com/cluster-a; its JWKS is served here. */
    private JarProcess startAsVectorIssuer(Path socket, int port, int mgmt) throws Exception {
        return startWithSigner(socket, port, mgmt, "--issuer.url=" + VECTOR_ISSUER,
                "--issuer.jwks-uri=http://127.0.0.1:" + port + "/openid/v1/jwks");
    }

    static final String VECTOR_ISSUER = "https://oidc.example.com/cluster-a";

    @Test
    void pythonClientPlayingKubeApiserverAcceptsEveryAnswer() throws Exception {
        var imported = JarProcess.run(work, "keys", "import",
                TestData.vector("k8s-serviceaccount-testkeys/rsa-2048-private.pkcs1.pem").toString());
        assertThat(imported.exitCode()).as(imported.output()).isZero();
        Path socket = work.resolve("run/signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = startAsVectorIssuer(socket, port, mgmt)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            Path script = Path.of("src/test/python/kube_apiserver_conformance.py").toAbsolutePath();
            Process py = new ProcessBuilder("/usr/bin/python3", script.toString(), "--socket", socket.toString(),
                    "--proto-dir", Path.of("src/main/proto").toAbsolutePath().toString(),
                    "--issuer", VECTOR_ISSUER, "--base-url", "http://127.0.0.1:" + port,
                    "--vectors", TestData.vector("derived/sa-token-examples.json").toString(),
                    "--expect-vector-signature").redirectErrorStream(true).start();
            String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(py.waitFor()).as(out).isZero();
            assertThat(out).contains("[v1] vector claims: header and RS256 signature byte-identical to the vector")
                    .contains("[v1alpha1] PyJWT verifies the fresh token via discovery")
                    .contains("[v1] claims valid for max_token_expiration_seconds: signature is not empty")
                    .contains("[v1] Sign refuses a foreign iss with INVALID_ARGUMENT")
                    .contains("[v1alpha1] Sign refuses a lifetime over max_token_expiration_seconds with INVALID_ARGUMENT")
                    .containsPattern("conformance: \\d+ checks passed, 0 failed");
            System.out.println(out);

            String log = service.output();
            assertThat(log).contains("Sign rejected: claims do not decode to a JSON object (v1)")
                    .contains("Sign rejected: claims are not unpadded base64url").doesNotContain("bm90IGpzb24")
                    .contains("Sign rejected: the iss claim is not the issuer this signer serves: " + VECTOR_ISSUER
                            + " (issuer.url) (v1)")
                    .contains("Sign rejected: the token lifetime (exp - iat) is over the 86400 s this signer allows")
                    .doesNotContain("evil.example");
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt
                    + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("issuer_signer_sign_requests_total{kid=\"JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU\"} 6.0")
                    .contains("issuer_signer_errors_total{reason=\"invalid_claims\"} 10.0")
                    .contains("issuer_signer_fetchkeys_requests_total{api=\"v1alpha1\"} 1.0")
                    .contains("issuer_signer_sign_duration_seconds_bucket{alg=\"RS256\"");
        }
        assertThat(socket).doesNotExist(); // removed on shutdown
    }

    @Test
    void staleSocketIsReplacedAndALiveOneRefused() throws Exception {
        Path socket = work.resolve("signer.sock");
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(socket)); // closed below without unlinking: a stale file
        }
        assertThat(socket).exists();
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = startWithSigner(socket, port, mgmt, "--issuer.signer.socket-mode=0660",
                "--issuer.signer.socket-group=daemon")) {
            assertThat(service.output()).contains("Removed stale signer socket " + socket);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
            assertThat(Files.getAttribute(socket, "posix:group").toString()).isEqualTo("daemon");
            try (SignerClient client = new SignerClient(socket)) {
                assertThat(client.v1.fetchKeys(FetchKeysRequest.getDefaultInstance()).getKeysCount()).isEqualTo(1);
            }
            // A second instance on the same socket must not steal it.
            try (JarProcess second = JarProcess.start(work, "--server.port=" + TestData.freePort(),
                    "--management.server.port=" + TestData.freePort(), "--issuer.signer.socket=" + socket,
                    "--issuer.keys.directory=other")) {
                assertThat(second.awaitExit()).isNotZero();
                assertThat(second.output()).contains("another process is listening on issuer.signer.socket " + socket);
            }
            try (SignerClient client = new SignerClient(socket)) {
                assertThat(client.v1.fetchKeys(FetchKeysRequest.getDefaultInstance()).getKeysCount()).isEqualTo(1);
            }
        }
        Files.writeString(socket, "not a socket");
        try (JarProcess p = JarProcess.start(work, "--server.port=" + TestData.freePort(),
                "--management.server.port=" + TestData.freePort(), "--issuer.signer.socket=" + socket)) {
            assertThat(p.awaitExit()).isNotZero();
            assertThat(p.output()).contains("exists and is not a socket");
        }
        assertThat(Files.readString(socket)).isEqualTo("not a socket");
    }

    /**
     * kube-apiserver's view during a rotation: it refreshes its key cache every refresh hint and asks
     * for signatures all the time. Every token must carry a kid its cache already knows, and verify.
     */
    @Test
    void rotationWhileSigningNeverProducesAnUnverifiableToken() throws Exception {
        Path socket = work.resolve("signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = startWithSigner(socket, port, mgmt, "--issuer.rotation.period=12s",
                "--issuer.rotation.publish-ahead=4s", "--issuer.http.max-age=1s", "--issuer.signer.refresh-hint=1s",
                "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.check-interval=200ms",
                "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=100"); // 10m / 12s + 2 keys
             SignerClient client = new SignerClient(socket)) {
            Map<String, RSAPublicKey> cache = new HashMap<>();
            Instant nextRefresh = Instant.MIN;
            Set<String> signingKids = new HashSet<>();
            List<String> tokens = new ArrayList<>();
            int unknownKid = 0;
            int failures = 0;
            String claims = TestData.kubeClaims("http://127.0.0.1:" + port, "system:serviceaccount:a:b");
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (signingKids.size() < 3 && System.nanoTime() < deadline) {
                if (!Instant.now().isBefore(nextRefresh)) {
                    FetchKeysResponse keys = client.v1.fetchKeys(FetchKeysRequest.getDefaultInstance());
                    cache.clear();
                    for (var k : keys.getKeysList()) {
                        cache.put(k.getKeyId(), (RSAPublicKey) KeyFactory.getInstance("RSA")
                                .generatePublic(new X509EncodedKeySpec(k.getKey().toByteArray())));
                    }
                    nextRefresh = Instant.now().plusSeconds(keys.getRefreshHintSeconds());
                }
                SignJWTResponse r = client.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
                String token = r.getHeader() + "." + claims + "." + r.getSignature();
                JWSObject jws = JWSObject.parse(token);
                String kid = jws.getHeader().getKeyID();
                signingKids.add(kid);
                tokens.add(token);
                RSAPublicKey key = cache.get(kid);
                if (key == null) {
                    unknownKid++;
                } else if (!jws.verify(new RSASSAVerifier(key))) {
                    failures++;
                }
                Thread.sleep(20);
            }
            assertThat(signingKids).as(service.output()).hasSizeGreaterThanOrEqualTo(3); // two switches
            assertThat(unknownKid).as("tokens whose kid kube-apiserver's cache did not know yet").isZero();
            assertThat(failures).isZero();

            // Relying parties: every token signed during the run verifies against the public JWKS.
            JWKSet jwks = JWKSet.parse(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/openid/v1/jwks")).build(), HttpResponse.BodyHandlers.ofString()).body());
            for (String t : tokens) {
                JWSObject jws = JWSObject.parse(t);
                RSAKey k = (RSAKey) jwks.getKeyByKeyId(jws.getHeader().getKeyID());
                assertThat(k).as("kid %s still published", jws.getHeader().getKeyID()).isNotNull();
                assertThat(jws.verify(new RSASSAVerifier(k))).isTrue();
            }
            System.out.println("rotation while signing: " + tokens.size() + " tokens, " + signingKids.size()
                    + " signing keys, 0 unknown kids, 0 verification failures");
        }
    }

    @Test
    void invalidClaimsAreRefusedOverJava() throws Exception {
        Path socket = work.resolve("signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        try (JarProcess service = startWithSigner(socket, port, mgmt); SignerClient client = new SignerClient(socket)) {
            assertThatThrownBy(() -> client.v1.sign(SignJWTRequest.newBuilder().setClaims("e30=").build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .hasMessage("INVALID_ARGUMENT: Sign rejected: claims are not unpadded base64url (character at index 3)");
            assertThatThrownBy(() -> client.v1.sign(SignJWTRequest.newBuilder().setClaims("A".repeat(300_000)).build()))
                    .isInstanceOf(StatusRuntimeException.class).hasMessageStartingWith("RESOURCE_EXHAUSTED");
            assertThatThrownBy(() -> client.v1.sign(SignJWTRequest.newBuilder().setClaims("e30").build()))
                    .isInstanceOf(StatusRuntimeException.class)
                    .hasMessage("INVALID_ARGUMENT: Sign rejected: claims have no iss; kube-apiserver always sends its issuer");
            String claims = TestData.kubeClaims("http://127.0.0.1:" + port, "system:serviceaccount:a:b");
            assertThat(client.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build()).getSignature()).isNotEmpty();
        }
    }
}
