package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood of half-open connections on the public port of a service started with a file descriptor limit of
 * 512 (ulimit -n). Without a cap they took every descriptor: the signer could not accept kube-apiserver's
 * connection (Sign DEADLINE_EXCEEDED) and readiness went 503. With the cap (by default half the limit: 256)
 * the surplus is refused and counted, and the signer and the management port keep working throughout.
 * At 256 the half left too little room for the JVM's own ~110 descriptors plus an accept burst: a clean-clone
 * run saw one "Too many open files" on accept (docs/configuration.md, the known limit of the half rule).
 */
class ConnectionFloodIT {
    private static final int DESCRIPTOR_LIMIT = 512;
    private static final int CAP = DESCRIPTOR_LIMIT / 2;
    private static final int PER_CLIENT = 40;
    /** A request head that never ends: each such connection is held until the (here long) request deadline. */
    private static final String UNFINISHED = "GET /openid/v1/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    private static final String REFUSED_TOTAL = "issuer_http_connections_refused_total{reason=\"max-connections\"}";
    private static final String REFUSED_PER_CLIENT =
            "issuer_http_connections_refused_total{reason=\"max-connections-per-client\"}";
    private static final String OPEN = "issuer_http_connections";

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void connectionsOverTheCapsAreRefusedAndTheSignerAndReadinessKeepWorking() throws Exception {
        int port = TestData.freePort();
        int mgmt = TestData.freePort();
        Path socket = work.resolve("run/signer.sock");
        List<Socket> flood = new ArrayList<>();
        try (JarProcess service = JarProcess.startWithDescriptorLimit(work, DESCRIPTOR_LIMIT, "--server.port=" + port,
                "--management.server.port=" + mgmt, "--issuer.url=http://127.0.0.1:" + port,
                "--issuer.allow-insecure-http=true", "--issuer.signer.socket=" + socket,
                "--issuer.http.max-connections-per-client=" + PER_CLIENT,
                "--issuer.http.request-read-timeout=10m")) {
            service.awaitReady(mgmt);
            assertThat(Files.readString(Path.of("/proc/" + service.pid() + "/limits")))
                    .containsPattern("Max open files\\s+" + DESCRIPTOR_LIMIT + "\\s+" + DESCRIPTOR_LIMIT);
            assertThat(service.output()).contains("at most " + CAP + " connections, " + PER_CLIENT + " per client");
            assertThat(Prometheus.value(mgmt, REFUSED_TOTAL)).isZero();
            assertThat(Prometheus.value(mgmt, REFUSED_PER_CLIENT)).isZero();

            // One client address: its first PER_CLIENT connections are held, the next one is refused.
            for (int i = 0; i < PER_CLIENT; i++) {
                flood.add(RawHttp.open("127.0.0.1", port, UNFINISHED));
            }
            Prometheus.await(mgmt, OPEN, v -> v == PER_CLIENT);
            try (Socket extra = RawHttp.open("127.0.0.1", port, UNFINISHED)) {
                assertThat(RawHttp.closedByServer(extra, 30_000)).as("closed on arrival").isTrue();
            }
            assertThat(Prometheus.await(mgmt, REFUSED_PER_CLIENT, v -> v >= 1)).isEqualTo(1);

            // 300 more from ten other addresses (30 each, under the per-client cap) fill the global cap.
            int more = 300;
            for (int i = 0; i < more; i++) {
                try {
                    flood.add(RawHttp.open("127.0.0." + (2 + i % 10), port, UNFINISHED));
                } catch (java.net.SocketException resetOnArrival) {
                    // refused before the head was written; counted all the same
                }
            }
            Prometheus.await(mgmt, REFUSED_TOTAL, v -> v >= PER_CLIENT + more - CAP);
            assertThat(Prometheus.value(mgmt, OPEN)).isEqualTo(CAP);
            assertThat(Prometheus.value(mgmt, REFUSED_TOTAL)).isEqualTo(PER_CLIENT + more - CAP);

            // Flooded: the signer signs, FetchKeys answers, readiness and health are UP.
            SignerClient.assertSignVerifies(socket,
                    TestData.kubeClaims("http://127.0.0.1:" + port, "system:serviceaccount:default:during-the-flood"),
                    stub -> stub.withDeadlineAfter(30, TimeUnit.SECONDS));
            assertThat(get(mgmt, "/actuator/health/readiness").statusCode()).isEqualTo(200);
            assertThat(get(mgmt, "/actuator/health").statusCode()).isEqualTo(200);
            assertThat(service.output()).doesNotContain("Too many open files");

            // The flood ends: the public port serves again.
            for (Socket s : flood) {
                s.close();
            }
            flood.clear();
            Prometheus.await(mgmt, OPEN, v -> v == 0);
            assertThat(get(port, "/openid/v1/jwks").statusCode()).isEqualTo(200);
            assertThat(service.alive()).isTrue();
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
    }

    /** A cap the descriptor limit cannot back is refused at start, before any key is written. */
    @Test
    void aCapOverHalfTheDescriptorLimitStopsTheStart() throws Exception {
        try (JarProcess service = JarProcess.startWithDescriptorLimit(work, DESCRIPTOR_LIMIT,
                "--server.port=" + TestData.freePort(), "--management.server.port=" + TestData.freePort(),
                "--issuer.http.max-connections=300")) {
            assertThat(service.awaitExit()).isNotZero();
            assertThat(service.output()).contains("issuer.http.max-connections 300 is over half the process's file"
                    + " descriptor limit (512): a flood of public-port connections could then leave the signer socket"
                    + " and the management port without descriptors")
                    .contains("Lower it to at most 256, or raise the limit (ulimit -n, systemd LimitNOFILE=).");
        }
        assertThat(work.resolve("data/keys")).doesNotExist();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
