package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.store.DirectoryKeyStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long run of random Azure Blob outages (Azurite stopped, connections reset, a black hole, slow
 * responses) while the service rotates on a short schedule and a client signs all the time. No token
 * may carry a kid that anonymous readers could not fetch for publish-ahead; the gate's closed time and
 * the recovery are measured. Fast scale (CI): 60 s; full scale (fault/run): 6 minutes.
 */
class MirrorOutageFaultIT {
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Duration PUBLISH_AHEAD = Duration.ofSeconds(3);
    static final Duration PERIOD = Duration.ofSeconds(10);

    @TempDir
    Path work;

    enum Fault { NONE, AZURITE_STOPPED, RESET, BLACKHOLE, SLOW }

    /** @param signedBy after the response: the token was signed before this */
    record Token(long signedBy, String kid) {}

    static HttpResponse<byte[]> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void randomMirrorOutagesNeverLetAnUnconfirmedKidSign() throws Exception {
        Duration runFor = FaultRun.scaled(Duration.ofSeconds(60), Duration.ofMinutes(6));
        long seed = Long.getLong("fault.seed", System.nanoTime());
        Random random = new Random(seed);
        try (Azurite azurite = new Azurite(work.resolve("azurite"));
             ChaosProxy chaos = new ChaosProxy(azurite.port)) {
            azurite.publicContainer("oidc");
            String viaProxy = "http://127.0.0.1:" + chaos.port + "/devstoreaccount1/oidc/";
            String direct = azurite.containerUrl("oidc") + "openid/v1/jwks";
            int port = TestData.freePort(), mgmt = TestData.freePort();
            Path socket = work.resolve("signer.sock");
            try (JarProcess service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + mgmt,
                    "--issuer.url=https://oidc.example.com", "--issuer.keys.directory=keys",
                    "--issuer.mirror.filesystem.enabled=false",
                    "--issuer.mirror.azure.connection-string=" + azurite.connectionString().replace(
                            ":" + azurite.port + "/", ":" + chaos.port + "/"),
                    "--issuer.mirror.azure.container=oidc", "--issuer.mirror.azure.public-base-url=" + viaProxy,
                    "--issuer.mirror.azure.cache-control=public, max-age=1", "--issuer.mirror.interval=1s",
                    "--issuer.rotation.period=" + PERIOD.toSeconds() + "s",
                    "--issuer.rotation.publish-ahead=" + PUBLISH_AHEAD.toSeconds() + "s", "--issuer.http.max-age=1s",
                    "--issuer.signer.refresh-hint=1s", "--issuer.tokens.max-lifetime=10m",
                    "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=100", // 10m / 10s + 2 keys
                    "--issuer.rotation.check-interval=200ms", "--issuer.signer.socket=" + socket).awaitReady(mgmt);
                 SignerClient signer = new SignerClient(socket)) {
                String firstKid = RotationIT.activeKid(mgmt);
                // Per kid, the start of the last public read that did NOT list it: it became public after that,
                // however slow a loaded machine makes the reads (MIN_VALUE: listed by the first read).
                Map<String, Long> publicAfter = new ConcurrentHashMap<>();
                List<Token> tokens = new CopyOnWriteArrayList<>();
                AtomicInteger signErrors = new AtomicInteger();
                AtomicInteger servingErrors = new AtomicInteger();
                AtomicLong gateClosedNanos = new AtomicLong();
                AtomicLong longestClosedNanos = new AtomicLong();
                List<String> responses = new CopyOnWriteArrayList<>();
                long start = System.nanoTime();
                long chaosEnds = start + runFor.toNanos();
                var stop = new java.util.concurrent.atomic.AtomicBoolean();
                String claims = TestData.kubeClaims("https://oidc.example.com", "system:serviceaccount:a:b");

                // kube-apiserver: signs all the time, whatever the mirror is doing.
                Thread signing = daemon("signing", () -> {
                    while (!stop.get()) {
                        try {
                            var r = signer.v1.sign(SignJWTRequest.newBuilder().setClaims(claims).build());
                            tokens.add(new Token(System.nanoTime(), JWSObject.parse(r.getHeader() + "." + claims + "." + r.getSignature())
                                    .getHeader().getKeyID()));
                        } catch (Exception e) {
                            signErrors.incrementAndGet();
                        }
                        sleep(50);
                    }
                });
                // Entra ID: what an anonymous reader of the container sees, read directly (not through the faults).
                Thread reader = daemon("public-reader", () -> {
                    long lastRead = Long.MIN_VALUE;
                    while (!stop.get()) {
                        try {
                            long began = System.nanoTime();
                            var r = get(direct);
                            if (r.statusCode() == 200) {
                                for (JWK k : JWKSet.parse(new String(r.body(), StandardCharsets.UTF_8)).getKeys()) {
                                    publicAfter.putIfAbsent(k.getKeyID(), lastRead);
                                }
                                lastRead = began;
                            }
                        } catch (Exception azuriteStopped) {
                            // nothing is public while Azurite is down
                        }
                        try {
                            var local = get("http://127.0.0.1:" + port + "/openid/v1/jwks");
                            if (local.statusCode() != 200) {
                                servingErrors.incrementAndGet();
                            }
                        } catch (Exception e) {
                            servingErrors.incrementAndGet();
                        }
                        sleep(100);
                    }
                });
                // The rotation gate, as health reports it: closed while a due step waits for a mirror.
                Thread gate = daemon("gate", () -> {
                    long closedSince = 0;
                    long last = System.nanoTime();
                    while (!stop.get()) {
                        try {
                            String body = new String(get("http://127.0.0.1:" + mgmt + "/actuator/health/issuer").body(),
                                    StandardCharsets.UTF_8);
                            responses.add(body);
                            @SuppressWarnings("unchecked")
                            var rotation = (Map<String, Object>) ((Map<String, Object>) JSONObjectUtils.parse(body)
                                    .get("details")).get("rotation");
                            long now = System.nanoTime();
                            if (Boolean.FALSE.equals(rotation.get("onSchedule"))) {
                                gateClosedNanos.addAndGet(now - last);
                                closedSince = closedSince == 0 ? last : closedSince;
                                longestClosedNanos.accumulateAndGet(now - closedSince, Math::max);
                            } else {
                                closedSince = 0;
                            }
                            last = now;
                        } catch (Exception e) {
                            servingErrors.incrementAndGet();
                        }
                        sleep(200);
                    }
                });

                Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
                Map<Fault, Long> faultNanos = new EnumMap<>(Fault.class);
                // A random schedule can keep the gate shut for most of a short run (stretches of 69 s measured), so
                // the faults go on until enough rotations have happened under them to have tested the gate.
                int requiredRotations = FaultRun.scaled(2, 10);
                long chaosLimit = start + FaultRun.scaled(Duration.ofMinutes(5), Duration.ofMinutes(18)).toNanos();
                while (System.nanoTime() < chaosEnds
                        || (activations(tokens) < requiredRotations && System.nanoTime() < chaosLimit)) {
                    Fault f = pick(random);
                    long length = Duration.ofMillis(1000 + random.nextInt(7000)).toNanos();
                    switch (f) {
                        case AZURITE_STOPPED -> azurite.stop();
                        case RESET -> chaos.set(ChaosProxy.Mode.RESET, 0);
                        case BLACKHOLE -> chaos.set(ChaosProxy.Mode.BLACKHOLE, 0);
                        case SLOW -> chaos.set(ChaosProxy.Mode.SLOW, 200 + random.nextInt(2800));
                        case NONE -> chaos.set(ChaosProxy.Mode.UP, 0);
                    }
                    long began = System.nanoTime();
                    Thread.sleep(length / 1_000_000);
                    if (f == Fault.AZURITE_STOPPED) {
                        azurite.start();
                    }
                    chaos.set(ChaosProxy.Mode.UP, 0);
                    faults.merge(f, 1, Integer::sum);
                    faultNanos.merge(f, System.nanoTime() - began, Long::sum);
                }

                // Recovery: with the faults gone, the public copy must match the service and the gate reopen.
                long calm = System.nanoTime();
                byte[] served = null;
                byte[] publicCopy = null;
                boolean onSchedule = false;
                while (System.nanoTime() - calm < Duration.ofSeconds(60).toNanos()) {
                    served = get("http://127.0.0.1:" + port + "/openid/v1/jwks").body();
                    publicCopy = get(direct).body();
                    onSchedule = Boolean.TRUE.equals(((Map<?, ?>) RotationIT.issuerHealth(mgmt).get("rotation")).get("onSchedule"));
                    if (onSchedule && Arrays.equals(served, publicCopy)) {
                        break;
                    }
                    Thread.sleep(200);
                }
                Duration recovery = Duration.ofNanos(System.nanoTime() - calm);
                stop.set(true);
                for (Thread t : List.of(signing, reader, gate)) {
                    t.join(20_000);
                }

                // A token is unconfirmed if its kid was provably not publicly readable publish-ahead before it was
                // signed: signed before signedBy, public only after publicAfter, and less than publish-ahead
                // between the two. The bootstrap key signs from the start by design.
                int unconfirmed = 0;
                int bootstrap = 0;
                for (Token t : tokens) {
                    Long seen = publicAfter.get(t.kid());
                    if (t.kid().equals(firstKid)) {
                        bootstrap++;
                    } else if (seen == null || seen != Long.MIN_VALUE && t.signedBy() - seen < PUBLISH_AHEAD.toNanos()) {
                        unconfirmed++;
                    }
                }
                String log = service.output();
                int rotations = activations(tokens);
                Duration chaosFor = Duration.ofNanos(calm - start);

                SecretScan scan = new SecretScan();
                new DirectoryKeyStore(work.resolve("keys")).load().signingKeys().forEach((kid, k) -> scan.addKey(kid, k.storableKey().orElseThrow()));
                scan.scan("service log", log).scanTree(work.resolve("azurite"));
                var blobs = new BlobServiceClientBuilder().connectionString(azurite.connectionString()).buildClient()
                        .getBlobContainerClient("oidc");
                int blobCount = 0;
                for (var item : blobs.listBlobs()) {
                    scan.scan("blob " + item.getName(), blobs.getBlobClient(item.getName()).downloadContent().toBytes());
                    blobCount++;
                }
                for (String body : new java.util.LinkedHashSet<>(responses)) {
                    scan.scan("health response", body);
                }
                scan.scan("JWKS", served).scan("discovery", get("http://127.0.0.1:" + port + "/.well-known/openid-configuration").body())
                        .scan("prometheus", get("http://127.0.0.1:" + mgmt + "/actuator/prometheus").body());

                List<String> lines = new ArrayList<>();
                lines.add("- seed " + seed + ", faults for " + chaosFor.toSeconds() + " s (nominal " + runFor.toSeconds()
                        + " s, longer until " + requiredRotations + " rotations), rotation period " + PERIOD.toSeconds()
                        + " s, publish-ahead " + PUBLISH_AHEAD.toSeconds() + " s, mirror interval 1 s");
                for (var e : faults.entrySet()) {
                    lines.add("- " + e.getKey() + ": " + e.getValue() + " times, " + Duration.ofNanos(faultNanos.get(e.getKey())).toSeconds() + " s");
                }
                lines.add("- tokens signed: " + tokens.size() + " (" + bootstrap + " with the bootstrap key), sign errors: " + signErrors.get());
                lines.add("- signing keys: " + (rotations + 1) + " (" + rotations + " activations)");
                lines.add("- **tokens signed with an unconfirmed kid: " + unconfirmed + "**");
                lines.add("- gate closed (rotation overdue, waiting for the mirror): " + Duration.ofNanos(gateClosedNanos.get()).toMillis() / 1000.0
                        + " s in total, longest " + Duration.ofNanos(longestClosedNanos.get()).toMillis() / 1000.0 + " s");
                lines.add("- local serving errors (public port, health) during the faults: " + servingErrors.get());
                lines.add("- recovery after the last fault: " + (onSchedule && Arrays.equals(served, publicCopy)
                        ? "public copy = served bytes and on schedule after " + recovery.toMillis() / 1000.0 + " s"
                        : "NOT RECOVERED within " + recovery.toMillis() / 1000.0 + " s (on schedule: " + onSchedule + ")"));
                lines.add("- " + scan.summary() + " (service log, " + blobCount + " blobs, Azurite's data directory, HTTP responses)");
                FaultRun.report("mirror-outages", lines);

                String tail = log.substring(Math.max(0, log.length() - 6000));
                assertThat(publicCopy).as("public copy after the faults; the log's end:\n" + tail).isEqualTo(served);
                assertThat(onSchedule).as("rotation back on schedule after the faults; health: %s; the log's end:\n%s",
                        RotationIT.issuerHealth(mgmt), tail).isTrue();
                assertThat(unconfirmed).as("tokens signed with a kid not publicly readable for publish-ahead").isZero();
                assertThat(signErrors.get()).as("Sign must not fail because the mirror does").isZero();
                assertThat(servingErrors.get()).as("the public port and health must answer throughout").isZero();
                assertThat(rotations).as("rotations in %d s of faults; the log's end:\n%s", chaosFor.toSeconds(), tail)
                        .isGreaterThanOrEqualTo(requiredRotations);
                assertThat(faults.keySet()).as("every kind of fault was injected").containsAll(
                        FaultRun.full() ? List.of(Fault.values()) : List.of(Fault.NONE));
                assertThat(scan.hits()).isEmpty();
            }
        }
    }

    /** Key switches the signing client has seen so far: distinct signing kids after the first. */
    private static int activations(List<Token> tokens) {
        return (int) tokens.stream().map(Token::kid).distinct().count() - 1;
    }

    private static Fault pick(Random random) {
        int r = random.nextInt(100);
        return r < 35 ? Fault.NONE : r < 50 ? Fault.AZURITE_STOPPED : r < 65 ? Fault.RESET : r < 80 ? Fault.BLACKHOLE : Fault.SLOW;
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
