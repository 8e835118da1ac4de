package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.grpc.StatusRuntimeException;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/issuer-migration.md, walked through with the real jar: an issuer moves from one storage container to
 * another (each container plays a storage account, in Azurite) in the documented steps, while tokens of both
 * issuers keep verifying. The verifier is PyJWT as a relying party: from the token's iss to its discovery
 * document to its jwks_uri, nothing of ours in between.
 */
class IssuerMigrationIT {
    @TempDir
    Path work;

    private Azurite azurite;
    private String oldIssuer;
    private String newIssuer;
    private final Path socket = Path.of("run/signer.sock");
    private final List<Path> tokens = new ArrayList<>();

    /** The service in one step of the move: issuer.url, issuer.additional-urls and a container for each. */
    private JarProcess step(int port, int mgmt, String signing, String... additional) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=" + signing, "--issuer.allow-insecure-http=true", "--issuer.signer.socket=" + socket,
                "--issuer.mirror.interval=1s",
                "--issuer.mirror.azure.connection-string=" + azurite.connectionString(),
                "--issuer.mirror.azure.container=" + container(signing), "--issuer.mirror.azure.prefix=cluster/",
                "--issuer.mirror.azure.public-base-url=" + azurite.containerUrl(container(signing))));
        for (int i = 0; i < additional.length; i++) {
            String p = "--issuer.mirror.additional-azure[" + i + "].";
            args.addAll(List.of("--issuer.additional-urls[" + i + "]=" + additional[i],
                    p + "connection-string=" + azurite.connectionString(), p + "container=" + container(additional[i]),
                    p + "prefix=cluster/", p + "public-base-url=" + azurite.containerUrl(container(additional[i]))));
        }
        return JarProcess.start(work, args.toArray(String[]::new)).awaitReady(mgmt);
    }

    private String container(String issuer) {
        return issuer.equals(oldIssuer) ? "old" : "new";
    }

    /** kube-apiserver signing claims with {@code iss} through the real signer socket; the token, in a file. */
    private Path sign(String iss, String label) throws Exception {
        String claims = TestData.kubeClaims(iss, "system:serviceaccount:default:app");
        try (SignerClient client = new SignerClient(work.resolve(socket))) {
            var signed = client.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
            Path file = work.resolve("token-" + label);
            Files.writeString(file, signed.getHeader() + "." + claims + "." + signed.getSignature());
            tokens.add(file);
            return file;
        }
    }

    /** Runs the relying party on these tokens; its output. */
    private static JarProcess.Result relyingParty(List<Path> tokens) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3",
                Path.of("src/test/python/relying_party.py").toAbsolutePath().toString()));
        tokens.forEach(t -> cmd.add(t.toString()));
        Process py = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new JarProcess.Result(py.waitFor(), out);
    }

    private static void assertAllVerify(List<Path> tokens) throws Exception {
        var r = relyingParty(tokens);
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output().lines().filter(l -> l.startsWith("VERIFIED"))).as(r.output()).hasSize(tokens.size());
    }

    /** Both mirrors confirmed the same keys to anonymous readers, each for its own issuer. */
    private static void awaitPublished(JarProcess service, int mgmt, Map<String, String> issuerByTarget) throws Exception {
        for (var e : issuerByTarget.entrySet()) {
            var t = AzureMirrorIT.awaitTarget(mgmt, e.getKey(), Duration.ofSeconds(60), AzureMirrorIT::verified, service);
            assertThat(t.get("issuer")).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    /** The public port serves the issuer's discovery at the issuer's own path, the bytes its container holds. */
    private void assertPublicPortServes(int port, String issuer) throws Exception {
        String path = java.net.URI.create(issuer).getRawPath() + "/.well-known/openid-configuration";
        var local = AzureMirrorIT.get("http://127.0.0.1:" + port + path);
        assertThat(local.statusCode()).as(path).isEqualTo(200);
        assertThat(JSONObjectUtils.parse(new String(local.body(), StandardCharsets.UTF_8)).get("issuer")).isEqualTo(issuer);
        assertThat(local.body()).as("the public port and the container serve the same discovery document for " + issuer)
                .isEqualTo(AzureMirrorIT.get(issuer + "/.well-known/openid-configuration").body());
    }

    /** kube-apiserver asking for a token of an issuer this step does not serve: refused, nothing signed. */
    private void assertSignRefused(String iss) throws Exception {
        try (SignerClient client = new SignerClient(work.resolve(socket))) {
            assertThatThrownBy(() -> client.v1.sign(SignJWTRequest.newBuilder()
                    .setClaims(TestData.kubeClaims(iss, "system:serviceaccount:default:app")).build()))
                    .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("INVALID_ARGUMENT");
        }
    }

    @Test
    void movesTheIssuerWhileTokensOfBothIssuersKeepVerifying() throws Exception {
        try (Azurite a = new Azurite(work.resolve("azurite"))) {
            azurite = a;
            a.publicContainer("old");
            a.publicContainer("new");
            oldIssuer = a.containerUrl("old") + "cluster";
            newIssuer = a.containerUrl("new") + "cluster";
            int port = TestData.freePort(), mgmt = TestData.freePort();

            // 1. Before the move: the old issuer only; a token for the new one is not signed.
            try (JarProcess s = step(port, mgmt, oldIssuer)) {
                awaitPublished(s, mgmt, Map.of("azure-blob", oldIssuer));
                assertAllVerify(List.of(sign(oldIssuer, "1-old")));
                assertSignRefused(newIssuer);
                assertThat(AzureMirrorIT.get(newIssuer + "/.well-known/openid-configuration").statusCode()).isEqualTo(404);
            }

            // 2. The new issuer published beside the old one, which still signs: kube-apiserver gets the new URL as
            //    its second --service-account-issuer. Both issuers' documents verify, tokens of either issuer do.
            try (JarProcess s = step(port, mgmt, oldIssuer, newIssuer)) {
                awaitPublished(s, mgmt, Map.of("azure-blob", oldIssuer, "azure-blob-2", newIssuer));
                assertPublicPortServes(port, oldIssuer);
                assertPublicPortServes(port, newIssuer);
                sign(oldIssuer, "2-old");
                Path newToken = sign(newIssuer, "2-new"); // a kube-apiserver already swapped, this service not yet
                assertAllVerify(tokens);
                var doctor = JarProcess.run(work, "doctor", "--issuer", oldIssuer, "--issuer", newIssuer, "--allow-http",
                        "--token", newToken.toString());
                assertThat(doctor.exitCode()).as(doctor.output()).isZero();
                assertThat(doctor.output()).contains("Issuer " + oldIssuer + ":", "Issuer " + newIssuer + ":",
                        "PASS  discovery issuer equals '" + newIssuer + "' exactly", "PASS  token iss is one of the issuers",
                        "PASS  token signature verifies with the published key");
                assertThat(relyingParty(tokens).output()).contains("jwks_uri=" + newIssuer + "/openid/v1/jwks")
                        .contains("jwks_uri=" + oldIssuer + "/openid/v1/jwks");
            }

            // 3. Signing switches: the new issuer is issuer.url (and kube-apiserver's first flag), the old one
            //    stays accepted and published until its tokens have expired.
            try (JarProcess s = step(port, mgmt, newIssuer, oldIssuer)) {
                awaitPublished(s, mgmt, Map.of("azure-blob", newIssuer, "azure-blob-2", oldIssuer));
                assertPublicPortServes(port, newIssuer);
                assertPublicPortServes(port, oldIssuer);
                sign(newIssuer, "3-new");
                sign(oldIssuer, "3-old"); // a kube-apiserver not yet swapped
                assertAllVerify(tokens);
            }

            // 4. The old issuer removed: the new one alone, every token of the new issuer still verifies.
            try (JarProcess s = step(port, mgmt, newIssuer)) {
                awaitPublished(s, mgmt, Map.of("azure-blob", newIssuer));
                assertSignRefused(oldIssuer);
                sign(newIssuer, "4-new");
                assertAllVerify(tokens.stream().filter(t -> t.getFileName().toString().endsWith("new")).toList());
            }
        }
    }

    /** kubeadm's default issuer and a public one share the root path on the public port: the Host tells them apart. */
    @Test
    void publicPortServesEachIssuerToItsHost() throws Exception {
        int port = TestData.freePort(), mgmt = TestData.freePort();
        String kubeadm = "https://kubernetes.default.svc.cluster.local";
        String public_ = "https://oidc.example.com";
        try (JarProcess s = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=" + kubeadm, "--issuer.additional-urls=" + public_).awaitReady(mgmt)) {
            for (var host : Map.of("oidc.example.com", public_, "OIDC.example.com:443", public_,
                    "kubernetes.default.svc.cluster.local", kubeadm, "127.0.0.1:" + port, kubeadm).entrySet()) {
                var r = RawHttp.send(port, "GET /.well-known/openid-configuration HTTP/1.1\r\nHost: " + host.getKey()
                        + "\r\nConnection: close\r\n\r\n");
                assertThat(r.statusLine()).as(host.getKey()).contains(" 200 ");
                var doc = JSONObjectUtils.parse(r.bodyText());
                assertThat(doc.get("issuer")).as(host.getKey()).isEqualTo(host.getValue());
                assertThat(doc.get("jwks_uri")).as(host.getKey()).isEqualTo(host.getValue() + "/openid/v1/jwks");
            }
            var jwksPublic = RawHttp.send(port, "GET /openid/v1/jwks HTTP/1.1\r\nHost: oidc.example.com\r\nConnection: close\r\n\r\n");
            var jwksKubeadm = RawHttp.send(port, "GET /openid/v1/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(jwksPublic.bodyText()).as("one key set for both issuers").isEqualTo(jwksKubeadm.bodyText())
                    .contains("\"kid\"");
        }
    }
}
