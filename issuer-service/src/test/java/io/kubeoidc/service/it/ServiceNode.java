package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.externaljwt.v1.FetchKeysRequest;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A service process a test starts, stops and starts again as the same node (replica id, directory, ports, signer
 * socket), and what it serves: JWKS, the issuer health details, metrics, FetchKeys and signatures.
 */
final class ServiceNode implements AutoCloseable {
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String id;
    final Path dir;
    final int port = TestData.freePort();
    final int mgmt = TestData.freePort();
    JarProcess process;

    /** A node working in {@code work/id}. */
    ServiceNode(Path work, String id) throws Exception {
        this.id = id;
        this.dir = Files.createDirectories(work.resolve(id));
    }

    Path socket() {
        return dir.resolve("signer.sock");
    }

    /** Starts the process in {@link #dir} (not waiting for readiness); the arguments include the ports. */
    void start(List<String> args) throws Exception {
        process = JarProcess.start(dir, args.toArray(String[]::new));
    }

    String jwks() throws Exception {
        return get(port, "/openid/v1/jwks");
    }

    Set<String> jwksKids() throws Exception {
        return kids(jwks());
    }

    /** The details of /actuator/health/issuer. */
    @SuppressWarnings("unchecked")
    Map<String, Object> health() throws Exception {
        return (Map<String, Object>) JSONObjectUtils.parse(get(mgmt, "/actuator/health/issuer")).get("details");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> ha() throws Exception {
        return (Map<String, Object>) health().get("ha");
    }

    String metrics() throws Exception {
        return get(mgmt, "/actuator/prometheus");
    }

    byte[] fetchKeys() throws Exception {
        try (SignerClient c = new SignerClient(socket())) {
            return c.v1.fetchKeys(FetchKeysRequest.getDefaultInstance()).toByteArray();
        }
    }

    /** A token signed on the signer socket, and the key this node's JWKS serves for its kid. */
    record Signed(JWSObject jws, JWK key) {
        String kid() {
            return jws.getHeader().getKeyID();
        }
    }

    /** Signs {@code claims} (base64url) and checks that the JWKS served here has the kid in the token's header. */
    Signed sign(String claims) throws Exception {
        try (SignerClient c = new SignerClient(socket())) {
            var r = c.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
            JWSObject jws = JWSObject.parse(r.getHeader() + "." + claims + "." + r.getSignature());
            String kid = jws.getHeader().getKeyID();
            JWK key = JWKSet.parse(jwks()).getKeyByKeyId(kid);
            assertThat(key).as("%s signed with kid %s, which its JWKS lacks", id, kid).isNotNull();
            return new Signed(jws, key);
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }

    /** The body of a plain GET on loopback. */
    static String get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static Set<String> kids(String jwks) throws Exception {
        Set<String> out = new TreeSet<>();
        JWKSet.parse(jwks).getKeys().forEach(k -> out.add(k.getKeyID()));
        return out;
    }
}
