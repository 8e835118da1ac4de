package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import io.kubeoidc.externaljwt.v1.FetchKeysRequest;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.store.DirectoryKeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed Sign and JWKS traffic while a scheduled rotation publishes a NEXT key and switches to it:
 * no request may fail, every token must verify against the public JWKS, and the p99 before, around
 * and after the switch is reported. Fast scale (CI): 45 s; full scale (fault/run): 5 minutes.
 */
class MixedLoadFaultIT {
    static final int SIGNERS = 4;
    static final int READERS = 4;

    @TempDir
    Path work;

    /** One request: when it started, how long it took, and (for Sign) the token. */
    record Sample(boolean sign, long startedAt, long nanos, String token) {}

    @Test
    void mixedLoadThroughARotationHasNoErrors() throws Exception {
        Duration total = FaultRun.scaled(Duration.ofSeconds(45), Duration.ofMinutes(5));
        // One switch at 60% of the run, its NEXT key published a fifth of the run before it; the next
        // NEXT key would only be published at the very end.
        long period = total.toSeconds() * 3 / 5;
        long publishAhead = Math.max(2, total.toSeconds() / 5);
        int port = TestData.freePort(), mgmt = TestData.freePort();
        Path socket = work.resolve("signer.sock");
        HttpClient http = HttpClient.newHttpClient();
        try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                "--issuer.url=https://oidc.example.com", "--issuer.signer.socket=" + socket,
                "--issuer.rotation.period=" + period + "s", "--issuer.rotation.publish-ahead=" + publishAhead + "s",
                "--issuer.http.max-age=1s", "--issuer.signer.refresh-hint=1s", "--issuer.tokens.max-lifetime=10m",
                "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=100", // 10m / period + 2 keys
                "--issuer.rotation.check-interval=200ms", "--logging.level.root=warn",
                "--logging.level.io.kubeoidc.audit=info").awaitReady(mgmt);
             SignerClient signer = new SignerClient(socket)) {
            String firstKid = RotationIT.activeKid(mgmt);
            long start = System.nanoTime();
            long end = start + total.toNanos();
            ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
            Set<String> jwksBodies = java.util.concurrent.ConcurrentHashMap.newKeySet();
            AtomicInteger fetchKeys = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            String claims = TestData.kubeClaims("https://oidc.example.com", "system:serviceaccount:a:b");
            URI jwks = URI.create("http://127.0.0.1:" + port + "/openid/v1/jwks");

            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < SIGNERS; i++) {
                threads.add(worker("sign-" + i, stop, end, () -> {
                    long t0 = System.nanoTime();
                    var r = signer.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
                    samples.add(new Sample(true, t0, System.nanoTime() - t0, r.getHeader() + "." + claims + "." + r.getSignature()));
                    Thread.sleep(20);
                }, errors));
            }
            for (int i = 0; i < READERS; i++) {
                threads.add(worker("jwks-" + i, stop, end, () -> {
                    long t0 = System.nanoTime();
                    var r = http.send(HttpRequest.newBuilder(jwks).build(), HttpResponse.BodyHandlers.ofString());
                    long nanos = System.nanoTime() - t0;
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("JWKS answered " + r.statusCode());
                    }
                    jwksBodies.add(r.body());
                    samples.add(new Sample(false, t0, nanos, null));
                    Thread.sleep(2);
                }, errors));
            }
            // kube-apiserver refreshes its key cache every refresh hint.
            threads.add(worker("fetch-keys", stop, end, () -> {
                signer.v1.fetchKeys(FetchKeysRequest.getDefaultInstance());
                fetchKeys.incrementAndGet();
                Thread.sleep(1000);
            }, errors));
            for (Thread t : threads) {
                t.join(total.toMillis() + 30_000);
            }
            stop.set(true);

            String body = http.send(HttpRequest.newBuilder(jwks).build(), HttpResponse.BodyHandlers.ofString()).body();
            JWKSet published = JWKSet.parse(body);
            List<Sample> all = new ArrayList<>(samples);
            long switchAt = Long.MAX_VALUE;
            int unverified = 0;
            Set<String> kids = new LinkedHashSet<>();
            for (Sample s : all) {
                if (!s.sign()) {
                    continue;
                }
                JWSObject jws = JWSObject.parse(s.token());
                String kid = jws.getHeader().getKeyID();
                kids.add(kid);
                RSAKey key = (RSAKey) published.getKeyByKeyId(kid);
                if (key == null || !jws.verify(new RSASSAVerifier(key))) {
                    unverified++;
                }
                if (!kid.equals(firstKid)) {
                    switchAt = Math.min(switchAt, s.startedAt());
                }
            }
            assertThat(switchAt).as("the rotation switched during the load\n" + service.output()).isLessThan(end);
            long window = Duration.ofSeconds(FaultRun.scaled(3, 10)).toNanos();
            long warm = start + Duration.ofSeconds(FaultRun.scaled(5, 20)).toNanos();
            final long sw = switchAt;
            List<String> lines = new ArrayList<>();
            lines.add("- " + total.toSeconds() + " s: " + SIGNERS + " Sign callers (20 ms pause), " + READERS
                    + " JWKS readers (2 ms pause), FetchKeys every second; rotation period " + period + " s, publish-ahead "
                    + publishAhead + " s; the first " + (warm - start) / 1_000_000_000 + " s are warm-up");
            lines.add("- requests: " + all.stream().filter(Sample::sign).count() + " Sign, " + all.stream().filter(s -> !s.sign()).count()
                    + " JWKS, " + fetchKeys.get() + " FetchKeys; signing keys " + kids + "; " + jwksBodies.size() + " distinct JWKS bodies");
            lines.add("- **errors: " + errors.size() + "**; tokens not verifying against the public JWKS: " + unverified);
            lines.add("");
            lines.add("| phase | Sign p50 | Sign p99 | JWKS p50 | JWKS p99 | requests |");
            lines.add("|---|---|---|---|---|---|");
            phase(lines, all, "before the switch", t -> t >= warm && t < sw - window);
            phase(lines, all, "during (switch ± " + window / 1_000_000_000 + " s)", t -> t >= sw - window && t <= sw + window);
            phase(lines, all, "after the switch", t -> t > sw + window);

            SecretScan scan = new SecretScan();
            new DirectoryKeyStore(work.resolve("data/keys")).load().signingKeys().forEach((kid, k) -> scan.addKey(kid, k.storableKey().orElseThrow()));
            scan.scan("service log", service.output()).scanTree(work.resolve("data/public"));
            for (String b : jwksBodies) {
                scan.scan("JWKS response", b);
            }
            scan.scan("prometheus", http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + "/actuator/prometheus"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            lines.add("");
            lines.add("- " + scan.summary());
            FaultRun.report("mixed-load", lines);

            assertThat(errors).as("failed requests").isEmpty();
            assertThat(unverified).isZero();
            assertThat(kids).hasSize(2);
            assertThat(scan.hits()).isEmpty();
        }
    }

    private static void phase(List<String> lines, List<Sample> all, String name, LongPredicate when) {
        long[] sign = all.stream().filter(s -> s.sign() && when.test(s.startedAt())).mapToLong(Sample::nanos).sorted().toArray();
        long[] read = all.stream().filter(s -> !s.sign() && when.test(s.startedAt())).mapToLong(Sample::nanos).sorted().toArray();
        lines.add("| " + name + " | " + ms(sign, 0.50) + " | " + ms(sign, 0.99) + " | " + ms(read, 0.50) + " | " + ms(read, 0.99)
                + " | " + (sign.length + read.length) + " |");
    }

    private static String ms(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "–";
        }
        return String.format("%.2f ms", sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e6);
    }

    interface Step {
        void run() throws Exception;
    }

    private static Thread worker(String name, AtomicBoolean stop, long end, Step step, ConcurrentLinkedQueue<String> errors) {
        Thread t = new Thread(() -> {
            while (!stop.get() && System.nanoTime() < end) {
                try {
                    step.run();
                } catch (Exception e) {
                    errors.add(name + ": " + e);
                }
            }
        }, name);
        t.start();
        return t;
    }
}
