package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.FileReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * kubeadm's keys imported with the CLI, then the real service on random ports: the bytes must be
 * exactly kube-apiserver's for the same keys, headers and URL boundaries as upstream, and a
 * relying party we did not write (Spring Security's NimbusJwtDecoder, configured from the issuer
 * location) must accept tokens signed with the imported keys.
 */
class DocumentServingIT {
    private static final String RSA_KID = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU";
    private static final String EC_KID = "SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc";

    @TempDir
    static Path work;

    static int port;
    static int managementPort;
    static String issuer;
    static JarProcess service;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void importKeysAndStart() throws Exception {
        var imported = JarProcess.run(work, "keys", "import", "--keys-dir", "keys",
                TestData.vector("k8s-serviceaccount-testkeys/rsa-2048-private.pkcs1.pem").toString(),
                TestData.vector("k8s-serviceaccount-testkeys/rsa-2048-public.pem").toString(),
                TestData.vector("k8s-serviceaccount-testkeys/ecdsa-p256-public.pem").toString());
        assertThat(imported.exitCode()).as(imported.output()).isZero();

        port = TestData.freePort();
        managementPort = TestData.freePort();
        issuer = "http://127.0.0.1:" + port + "/cluster-a";
        service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + managementPort,
                "--issuer.url=" + issuer, "--issuer.allow-insecure-http=true", "--issuer.keys.directory=keys")
                .awaitReady(managementPort);
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    private static HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Hostile requests are BadRequestIT's; an HTTP/1.0 client without a Host header still gets the document. */
    @Test
    void http10ClientsGetTheDocument() throws Exception {
        var r = RawHttp.send(port, "GET /openid/v1/jwks HTTP/1.0\r\n\r\n");
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.body()).isEqualTo(Files.readAllBytes(TestData.vector("k8s-openidmetadata-expected/valid-inputs.jwks.json")));
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void cliListsTheImportedKeys() throws Exception {
        var list = JarProcess.run(work, "keys", "list", "--keys-dir", "keys");
        assertThat(list.exitCode()).isZero();
        assertThat(list.output()).containsPattern(RSA_KID + "\\s+RS256\\s+2048\\s+ACTIVE")
                .containsPattern(EC_KID + "\\s+ES256\\s+P-256\\s+VERIFY_ONLY");
    }

    @Test
    void jwksIsByteIdenticalToKubeApiserverForTheSameKeys() throws Exception {
        byte[] expected = Files.readAllBytes(TestData.vector("k8s-openidmetadata-expected/valid-inputs.jwks.json"));
        for (String path : List.of("/openid/v1/jwks", "/cluster-a/openid/v1/jwks")) {
            var r = send("GET", path);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).as(path).isEqualTo(expected);
            assertThat(header(r, "Content-Type")).isEqualTo("application/jwk-set+json");
            assertThat(header(r, "Cache-Control")).isEqualTo("public, max-age=3600");
            assertThat(header(r, "ETag")).matches("\"[A-Za-z0-9_-]+\"");
        }
    }

    @Test
    void discoveryHasKubeApiserversShapeForThisIssuer() throws Exception {
        // Upstream's expected document, with the issuer of this test substituted.
        String expected = TestData.read(TestData.vector("k8s-openidmetadata-expected/valid-inputs.openid-configuration.json"))
                .replace("https://issuer.example.com", issuer);
        for (String path : List.of("/.well-known/openid-configuration", "/cluster-a/.well-known/openid-configuration")) {
            var r = send("GET", path);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(new String(r.body())).as(path).isEqualTo(expected);
            assertThat(header(r, "Content-Type")).isEqualTo("application/json");
            assertThat(header(r, "Cache-Control")).isEqualTo("public, max-age=3600");
        }
    }

    @Test
    void headHasTheHeadersAndNoBody() throws Exception {
        var get = send("GET", "/openid/v1/jwks");
        var head = send("HEAD", "/openid/v1/jwks");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(header(head, "Content-Length")).isEqualTo(String.valueOf(get.body().length));
        for (String h : List.of("Content-Type", "Cache-Control", "ETag")) {
            assertThat(header(head, h)).as(h).isEqualTo(header(get, h));
        }
    }

    @Test
    void ifNoneMatchGets304() throws Exception {
        for (String path : List.of("/openid/v1/jwks", "/.well-known/openid-configuration")) {
            String etag = header(send("GET", path), "ETag");
            // "*" matches any current representation (RFC 9110 13.1.2).
            for (String candidate : List.of(etag, "W/" + etag, "\"other\", " + etag, "*")) {
                var r = send("GET", path, "If-None-Match", candidate);
                assertThat(r.statusCode()).as(path + " If-None-Match: " + candidate).isEqualTo(304);
                assertThat(r.body()).isEmpty();
                assertThat(header(r, "ETag")).isEqualTo(etag);
                assertThat(header(r, "Cache-Control")).isEqualTo("public, max-age=3600");
            }
            assertThat(send("GET", path, "If-None-Match", "\"stale\"").statusCode()).isEqualTo(200);
            assertThat(send("HEAD", path, "If-None-Match", etag).statusCode()).isEqualTo(304);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void upstreamUrlBoundaries() throws Exception {
        Map<String, Object> cases = (Map<String, Object>) JSONObjectUtils.parse(
                TestData.read(TestData.vector("k8s-openidmetadata-expected/http-headers.json")))
                .get("url_boundaries_from_TestURLBoundaries");
        assertThat(cases).hasSize(6);
        for (var c : cases.entrySet()) {
            // Like Go's client, java.net.http never sends the #fragment.
            var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + c.getKey())).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(c.getKey()).isEqualTo(((Number) c.getValue()).intValue());
        }
    }

    @Test
    void everyOtherPathIs404AndOtherMethodsAre405() throws Exception {
        for (String path : List.of("/", "/foo", "/openid", "/openid/v1", "/openid/v1/jwks/", "/cluster-a",
                "/cluster-a/", "/cluster-a/.well-known", "/.well-known/openid-configuration/x", "/actuator/health",
                "/actuator/prometheus", "/error", "/OPENID/V1/JWKS", "/other/openid/v1/jwks")) {
            assertThat(send("GET", path).statusCode()).as(path).isEqualTo(404);
        }
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
            for (String path : List.of("/openid/v1/jwks", "/cluster-a/.well-known/openid-configuration")) {
                var r = send(method, path);
                assertThat(r.statusCode()).as(method + " " + path).isEqualTo(405);
                assertThat(header(r, "Allow")).isEqualTo("GET, HEAD");
            }
            assertThat(send(method, "/foo").statusCode()).as(method + " /foo").isEqualTo(404);
        }
    }

    @Test
    void managementPortHasHealthAndMetricsButNoDocuments() throws Exception {
        assertThat(send("GET", "/openid/v1/jwks").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/nope").statusCode()).isEqualTo(404);
        var health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"activeKid\":\"" + RSA_KID + "\"").contains("\"publishedKeys\":2");
        var metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("issuer_keys_published 2.0")
                .containsPattern("issuer_http_requests_total\\{document=\"jwks\",status=\"200\"} [1-9]")
                .containsPattern("issuer_http_requests_total\\{document=\"none\",status=\"404\"} [1-9]");
        var doc = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/openid/v1/jwks")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(doc.statusCode()).isEqualTo(404);
    }

    @Test
    void aRelyingPartyVerifiesTokensThroughDiscovery() throws Exception {
        JwtDecoder decoder = JwtDecoders.fromIssuerLocation(issuer);

        // Signed with the ACTIVE key (kubeadm's sa.key), as kube-apiserver signs.
        String rs256 = token(new RSASSASigner(privateKey("rsa-2048-private.pkcs1.pem")), JWSAlgorithm.RS256, RSA_KID);
        Jwt jwt = decoder.decode(rs256);
        assertThat(jwt.getSubject()).isEqualTo("system:serviceaccount:default:workload");
        assertThat(jwt.getIssuer().toString()).isEqualTo(issuer);

        // A token from before the move, signed by a key that is now verify-only, still verifies.
        String es256 = token(new ECDSASigner((ECPrivateKey) privateKey("ecdsa-p256-private.sec1.pem")),
                JWSAlgorithm.ES256, EC_KID);
        assertThat(decoder.decode(es256).getSubject()).isEqualTo("system:serviceaccount:default:workload");

        // A key that is not published is refused.
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair stranger = g.generateKeyPair();
        String forged = token(new RSASSASigner(stranger.getPrivate()), JWSAlgorithm.RS256, RSA_KID);
        assertThatThrownBy(() -> decoder.decode(forged)).isInstanceOf(JwtException.class);
    }

    private static String token(JWSSigner signer, JWSAlgorithm alg, String kid) throws Exception {
        Instant now = Instant.now();
        var claims = new JWTClaimsSet.Builder().issuer(issuer).subject("system:serviceaccount:default:workload")
                .audience("api://AzureADTokenExchange").issueTime(Date.from(now)).notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(600))).build();
        var jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    /** Reads an upstream private key with BouncyCastle's PEMParser, independently of our reader. */
    private static PrivateKey privateKey(String name) throws Exception {
        try (var parser = new PEMParser(new FileReader(TestData.vector("k8s-serviceaccount-testkeys/" + name).toFile()))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {
                    PrivateKey k = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                    if (k instanceof RSAPrivateKey || k instanceof ECPrivateKey) {
                        return k;
                    }
                }
            }
        }
        throw new IllegalStateException("no private key in " + name);
    }
}
