package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.testing.SoftHsm;
import io.kubeoidc.testing.SoftHsm.PrivateKeyObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar with issuer.keys.custody=pkcs11 on a SoftHSM2 token made for each test: kube-apiserver's stand-in
 * (Python gRPC) and PyJWT verify tokens signed on the token across a rotation, pkcs11-tool sees every private key
 * object sensitive and never extractable, and nothing the service wrote holds a private key.
 */
class Pkcs11CustodyIT {
    static final String LABEL = "issuer";
    static final String PIN = "4711-user";

    @TempDir
    Path work;
    SoftHsm hsm;
    Path pinFile;

    @BeforeEach
    void token() throws Exception {
        hsm = SoftHsm.create(work.resolve("hsm"));
        pinFile = hsm.initToken(LABEL, PIN);
    }

    List<String> custody() {
        return List.of("--issuer.keys.custody=pkcs11", "--issuer.keys.pkcs11.library=" + SoftHsm.MODULE,
                "--issuer.keys.pkcs11.token-label=" + LABEL, "--issuer.keys.pkcs11.pin-file=" + pinFile);
    }

    JarProcess start(int port, int mgmt, Path socket, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.allow-insecure-http=true", "--issuer.signer.socket=" + socket,
                "--issuer.url=" + ExternalSignerIT.VECTOR_ISSUER,
                "--issuer.jwks-uri=http://127.0.0.1:" + port + "/openid/v1/jwks"));
        args.addAll(custody());
        args.addAll(List.of(extra));
        return JarProcess.start(work, hsm.environment(), args.toArray(String[]::new)).awaitReady(mgmt);
    }

    /** The conformance client (kube-apiserver's rules, PyJWT via discovery); returns the kid the fresh token carries. */
    static String conformance(Path socket, int port, String... extra) throws Exception {
        Path script = Path.of("src/test/python/kube_apiserver_conformance.py").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script.toString(), "--socket", socket.toString(),
                "--proto-dir", Path.of("src/main/proto").toAbsolutePath().toString(),
                "--issuer", ExternalSignerIT.VECTOR_ISSUER, "--base-url", "http://127.0.0.1:" + port,
                "--vectors", TestData.vector("derived/sa-token-examples.json").toString()));
        cmd.addAll(List.of(extra));
        Process py = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(py.waitFor()).as(out).isZero();
        assertThat(out).contains("[v1alpha1] PyJWT verifies the fresh token via discovery")
                .contains("[v1] PyJWT verifies the fresh token via discovery")
                .containsPattern("conformance: \\d+ checks passed, 0 failed");
        Matcher m = Pattern.compile("\\[v1\\] fresh claims: kid (\\S+) is in FetchKeys").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }

    @Test
    void tokensSignedOnTheTokenVerifyAcrossARotationAndNoPrivateKeyLeavesIt() throws Exception {
        Path socket = work.resolve("run/signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        String first;
        String second;
        // An orphan, as a crash between creating a key and committing it leaves one: made outside the JVM.
        hsm.run("pkcs11-tool", "--module", SoftHsm.MODULE.toString(), "--token-label", LABEL, "--login", "--pin", PIN,
                "--keypairgen", "--key-type", "rsa:2048", "--label", "planted-orphan", "--id", "0badc0de");
        try (JarProcess service = start(port, mgmt, socket, "--issuer.rotation.period=40s",
                "--issuer.rotation.publish-ahead=12s", "--issuer.http.max-age=2s",
                "--issuer.rotation.check-interval=250ms", "--issuer.tokens.max-lifetime=1h",
                "--issuer.rotation.retention=61m", "--issuer.rotation.max-keys=100", "--issuer.signer.refresh-hint=5s")) {
            first = conformance(socket, port);
            assertThat(hsm.privateKeys(LABEL, PIN)).extracting(PrivateKeyObject::label).contains(first);

            // The next key is created on the token, published ahead, then signs; the first one retires.
            service.awaitOutput("kid=" + first + " from=ACTIVE to=RETIRED");
            second = conformance(socket, port);
            assertThat(second).isNotEqualTo(first);
            assertThat(service.output()).contains("kid=" + second + " from=NEXT to=ACTIVE");

            // The orphan goes once a commit above the one at which it was first seen still does not name it.
            service.awaitOutput("Destroyed orphan key planted-orphan on pkcs11:token=" + LABEL);
            assertThat(hsm.privateKeys(LABEL, PIN)).noneMatch(k -> k.label().equals("planted-orphan"));
            // The retired key's private object is destroyed on the token; its public key stays in the JWKS.
            Await.await("the retired key's private object destroyed", JarProcess.LOADED_MACHINE,
                    () -> hsm.privateKeys(LABEL, PIN).stream().noneMatch(k -> k.label().equals(first)));
            assertThat(RotationIT.jwksKids(port)).contains(first, second);
            for (PrivateKeyObject k : hsm.privateKeys(LABEL, PIN)) {
                assertThat(k.sensitive()).as(k.label() + ": " + k.access()).isTrue();
                assertThat(k.neverExtractable()).as(k.label() + ": " + k.access()).isTrue();
            }

            var list = JarProcess.run(work, hsm.environment(), cli("keys", "list"));
            assertThat(list.exitCode()).as(list.output()).isZero();
            assertThat(list.output()).contains(second).contains("pkcs11:token=" + LABEL);

            SecretScan scan = new SecretScan().anyRsaPrivateKey().scan("service log", service.output())
                    .scan("keys list", list.output()).scanTree(work.resolve("data"));
            assertThat(scan.hits()).as(scan.summary()).isEmpty();
            assertThat(service.output()).doesNotContain(PIN);
        }
    }

    /** The upstream test key's kid (kube-apiserver's rule, computed by openssl in the vectors). */
    static final String VECTOR_KID = "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU";

    @Test
    void anImportedKeyGoesOntoTheTokenAndSignsTheVectorByteForByte() throws Exception {
        Path pem = TestData.vector("k8s-serviceaccount-testkeys/rsa-2048-private.pkcs1.pem");
        var imported = JarProcess.run(work, hsm.environment(), cli("keys", "import", pem.toString()));
        assertThat(imported.exitCode()).as(imported.output()).isZero();
        assertThat(hsm.privateKeys(LABEL, PIN)).singleElement().satisfies(k -> {
            assertThat(k.label()).isEqualTo(VECTOR_KID);
            // imported: sensitive and not extractable (never "always sensitive": its bytes existed outside)
            assertThat(k.access()).contains("sensitive").doesNotContainPattern("(^|, )extractable");
        });
        var known = io.kubeoidc.pem.PemKeyReader.readFile(pem).keys().get(0).signingKey().orElseThrow();
        Path socket = work.resolve("run/signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        String log;
        try (JarProcess service = start(port, mgmt, socket)) {
            // RS256 is deterministic: the token signs exactly the vector's bytes with the imported key
            assertThat(conformance(socket, port, "--expect-vector-signature")).isEqualTo(VECTOR_KID);
            log = service.output();
        }
        SecretScan scan = new SecretScan().anyRsaPrivateKey().addKey(VECTOR_KID, known.privateKey())
                .scan("keys import", imported.output()).scan("service log", log).scanTree(work.resolve("data"));
        assertThat(scan.hits()).as(scan.summary()).isEmpty();
    }

    @Test
    void aTokenThatLostTheKeyMakesSignUnavailableAndReadinessFalseWithTheReason() throws Exception {
        Path socket = work.resolve("run/signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        Path tokenDir;
        try (var dirs = java.nio.file.Files.list(hsm.dir().resolve("tokens"))) {
            tokenDir = dirs.filter(java.nio.file.Files::isDirectory).findFirst().orElseThrow();
        }
        String claims = TestData.kubeClaims(ExternalSignerIT.VECTOR_ISSUER, "system:serviceaccount:a:b");
        try (JarProcess service = start(port, mgmt, socket)) {
            SignerClient.assertSignVerifies(socket, claims, s -> s);
            // From outside the JVM, the token's objects go away (SoftHSM2 keeps one file per object).
            Path away = java.nio.file.Files.createDirectories(work.resolve("away"));
            try (var objects = java.nio.file.Files.list(tokenDir)) {
                for (Path o : objects.filter(p -> p.toString().endsWith(".object")).toList()) {
                    java.nio.file.Files.move(o, away.resolve(o.getFileName()));
                }
            }
            try (SignerClient client = new SignerClient(socket)) {
                var request = io.kubeoidc.externaljwt.v1.SignJWTRequest.newBuilder().setClaims(claims).build();
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.v1.sign(request))
                        .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                                .isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
            }
            var http = java.net.http.HttpClient.newHttpClient();
            var readiness = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + mgmt
                    + "/actuator/health/readiness")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(503);
            assertThat(readiness.body()).contains("\"custody\"").contains("pkcs11 token '" + LABEL + "'");
            service.awaitOutput("Key custody pkcs11:token=" + LABEL + " is unavailable");
            // The rotation loop takes no step while the token cannot sign, and says why.
            Await.await("rotation held by the custody", JarProcess.LOADED_MACHINE, () -> http.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + mgmt
                            + "/actuator/health/issuer")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body().contains("key custody pkcs11:token=" + LABEL + " unavailable"));
            assertThat(service.output()).contains("Sign failed with kid").doesNotContain(PIN);
        }
    }

    String[] cli(String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--custody", "pkcs11", "--pkcs11-library", SoftHsm.MODULE.toString(),
                "--pkcs11-token-label", LABEL, "--pkcs11-pin-file", pinFile.toString()));
        return args.toArray(String[]::new);
    }
}
