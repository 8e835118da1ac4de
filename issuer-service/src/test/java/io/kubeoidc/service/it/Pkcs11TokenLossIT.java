package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.testing.SoftHsm;
import io.kubeoidc.testing.SoftHsm.PrivateKeyObject;
import io.kubeoidc.testing.SoftHsm.RemoteToken;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A token that goes away while the real jar runs, and comes back: the SoftHSM2 token served by {@code p11-kit
 * server} and reached through p11-kit's client module, as a network HSM is reached through its vendor's client
 * library. Killing the server from outside the JVM unplugs the token for the running service (every call fails in
 * the client with CKR_DEVICE_ERROR); a new server on the same socket plugs it back in.
 */
class Pkcs11TokenLossIT {
    static final String LABEL = "issuer";
    static final String PIN = "4711-user";
    static final String LOCATION = "pkcs11:token=" + LABEL;

    @TempDir
    Path work;

    @Test
    void aTokenUnpluggedWhileRunningHoldsSignAndRotationAndTheServiceReconnectsWhenItIsBack() throws Exception {
        SoftHsm hsm = SoftHsm.create(work.resolve("hsm"));
        Path pinFile = hsm.initToken(LABEL, PIN);
        Path socket = work.resolve("run/signer.sock");
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        String claims = TestData.kubeClaims(ExternalSignerIT.VECTOR_ISSUER, "system:serviceaccount:a:b");
        HttpClient http = HttpClient.newHttpClient();
        try (RemoteToken token = hsm.remote(LABEL).plugIn()) {
            Map<String, String> env = new HashMap<>(hsm.environment());
            env.putAll(token.clientEnvironment());
            // A short period: the next key is due (created as NEXT) 48 s after the first one is made at start.
            Instant started = Instant.now();
            try (JarProcess service = JarProcess.start(work, env, "--server.port=" + port,
                    "--management.server.port=" + mgmt, "--issuer.allow-insecure-http=true",
                    "--issuer.signer.socket=" + socket, "--issuer.url=" + ExternalSignerIT.VECTOR_ISSUER,
                    "--issuer.jwks-uri=http://127.0.0.1:" + port + "/openid/v1/jwks",
                    "--issuer.keys.custody=pkcs11", "--issuer.keys.pkcs11.library=" + SoftHsm.P11KIT_CLIENT,
                    "--issuer.keys.pkcs11.token-label=" + LABEL, "--issuer.keys.pkcs11.pin-file=" + pinFile,
                    "--issuer.rotation.period=60s", "--issuer.rotation.publish-ahead=12s", "--issuer.http.max-age=2s",
                    "--issuer.rotation.check-interval=250ms", "--issuer.tokens.max-lifetime=1h",
                    "--issuer.rotation.retention=61m", "--issuer.rotation.max-keys=100",
                    "--issuer.signer.refresh-hint=5s").awaitReady(mgmt)) {
                String first = Pkcs11CustodyIT.conformance(socket, port);

                assertThat(service.output()).doesNotContain(" to=NEXT ");
                int unplugged = service.output().length();
                token.unplug();
                try (SignerClient client = new SignerClient(socket)) {
                    SignJWTRequest request = SignJWTRequest.newBuilder().setClaims(claims).build();
                    assertThatThrownBy(() -> client.v1.sign(request)).isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
                }
                Await.await("readiness false naming the token", JarProcess.LOADED_MACHINE, () -> {
                    HttpResponse<String> r = get(http, mgmt, "/actuator/health/readiness");
                    return r.statusCode() == 503 && r.body().contains("\"custody\"") && r.body().contains(LOCATION)
                            && r.body().contains("\"reason\"");
                });
                service.awaitOutput("Key custody " + LOCATION + " is unavailable");
                // From here on every rotation check sees the custody down (the monitor said so).
                int held = service.output().length();
                List<String> kidsHeld = RotationIT.jwksKids(port);
                // Wait until the next key is due (the whole period after start, whatever the machine's speed),
                // then for the loop to report itself held: no step was taken while the token was away.
                Await.await("a rotation step due", JarProcess.LOADED_MACHINE,
                        () -> Instant.now().isAfter(started.plusSeconds(60)));
                Await.await("rotation held by the custody", JarProcess.LOADED_MACHINE, () -> get(http, mgmt,
                        "/actuator/health/issuer").body().contains("key custody " + LOCATION + " unavailable"));
                assertThat(service.output().substring(held)).doesNotContain("revision=");
                assertThat(service.output().substring(unplugged)).contains("CKR_DEVICE_ERROR").doesNotContain(PIN);
                assertThat(RotationIT.jwksKids(port)).containsExactlyElementsOf(kidsHeld).contains(first);

                token.plugIn();
                service.awaitOutput("Key custody " + LOCATION + " is reachable again");
                service.awaitReady(mgmt);
                // Signing on the token again, verified by the Python client and PyJWT; the rotation due resumes.
                Pkcs11CustodyIT.conformance(socket, port);
                Await.await("the due rotation step", JarProcess.LOADED_MACHINE,
                        () -> service.output().substring(held).contains(" to=NEXT "));
                Await.await("the next key in the JWKS", JarProcess.LOADED_MACHINE,
                        () -> RotationIT.jwksKids(port).size() == 2);
                assertThat(hsm.privateKeys(LABEL, PIN)).hasSize(2).allMatch(PrivateKeyObject::neverExtractable);
                assertThat(service.output()).doesNotContain(PIN);
            }
        }
    }

    static HttpResponse<String> get(HttpClient http, int mgmt, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
