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
 * A long run of random Azure Blob and S3 outages (Azurite or S3Mock stopped, connections reset, a black hole,
 * slow responses; each fault hits one store or both) while the service rotates on a short schedule with both
 * mirrors on and a client signs all the time. No token may carry a kid that anonymous readers of either store
 * could not fetch for publish-ahead; the gate's closed time and the recovery are measured. Fast scale (CI):
 * 60 s; full scale (fault/run): 6 minutes.
 */
class MirrorOutageFaultIT {
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final Duration PUBLISH_AHEAD = Duration.ofSeconds(3);
    static final Duration PERIOD = Duration.ofSeconds(10);

    @TempDir
    Path work;

    enum Fault { NONE, AZURITE_STOPPED, S3MOCK_STOPPED, RESET, BLACKHOLE, SLOW }

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
             ChaosProxy chaos = new ChaosProxy(azurite.port);
             S3Mock s3 = new S3Mock(work.resolve("s3mock"), "oidc");
             ChaosProxy s3Chaos = new ChaosProxy(s3.port)) {
            azurite.publicContainer("oidc");
            String viaProxy = "http://127.0.0.1:" + chaos.port + "/devstoreaccount1/oidc/";
            String direct = azurite.containerUrl("oidc") + "openid/v1/jwks";
            String s3ViaProxy = "http://127.0.0.1:" + s3Chaos.port;
            String s3Direct = s3.bucketUrl() + "openid/v1/jwks";
            int port = TestData.freePort(), mgmt = TestData.freePort();
            Path socket = work.resolve("signer.sock");
            try (JarProcess service = JarProcess.start(work, S3Mock.credentialOptions(), "--server.port=" + port,
                    "--management.server.port=" + mgmt,
                    "--issuer.url=https://oidc.example.com", "--issuer.keys.directory=keys",
                    "--issuer.mirror.filesystem.enabled=false",
                    "--issuer.mirror.azure.connection-string=" + azurite.connectionString().replace(
                            ":" + azurite.port + "/", ":" + chaos.port + "/"),
                    "--issuer.mirror.azure.container=oidc", "--issuer.mirror.azure.public-base-url=" + viaProxy,
                    "--issuer.mirror.azure.cache-control=public, max-age=1", "--issuer.mirror.interval=1s",
                    "--issuer.mirror.s3.bucket=oidc", "--issuer.mirror.s3.region=" + S3Mock.REGION,
                    "--issuer.mirror.s3.endpoint=" + s3ViaProxy, "--issuer.mirror.s3.path-style-access=true",
                    "--issuer.mirror.s3.public-base-url=" + s3ViaProxy + "/oidc/",
                    "--issuer.mirror.s3.cache-control=public, max-age=1",
                    "--issuer.rotation.period=" + PERIOD.toSeconds() + "s",
                    "--issuer.rotation.publish-ahead=" + PUBLISH_AHEAD.toSeconds() + "s", "--issuer.http.max-age=1s",
                    "--issuer.signer.refresh-hint=1s", "--issuer.tokens.max-lifetime=10m",
                    "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=100", // 10m / 10s + 2 keys
                    "--issuer.rotation.check-interval=200ms", "--issuer.signer.socket=" + socket).awaitReady(mgmt);
                 SignerClient signer = new SignerClient(socket)) {
                String firstKid = RotationIT.activeKid(mgmt);
                // Per kid, the start of the last public read that did NOT list it: it became public after that,
                // however slow a loaded machine makes the reads (MIN_VALUE: listed by the first read). One map per store.
                Map<String, Long> publicAfter = new ConcurrentHashMap<>();
                Map<String, Long> s3PublicAfter = new ConcurrentHashMap<>();
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
                // Entra ID and AWS STS: what an anonymous reader of each store sees, read directly (not through the faults).
                Thread reader = daemon("public-reader", () -> {
                    long[] lastRead = {Long.MIN_VALUE, Long.MIN_VALUE};
                    while (!stop.get()) {
                        lastRead[0] = readPublic(direct, publicAfter, lastRead[0]);
                        lastRead[1] = readPublic(s3Direct, s3PublicAfter, lastRead[1]);
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
                        case S3MOCK_STOPPED -> s3.stop();
                        default -> {
                            // A network fault hits Azure, S3 or both.
                            int which = random.nextInt(3);
                            ChaosProxy.Mode mode = switch (f) {
                                case RESET -> ChaosProxy.Mode.RESET;
                                case BLACKHOLE -> ChaosProxy.Mode.BLACKHOLE;
                                case SLOW -> ChaosProxy.Mode.SLOW;
                                default -> ChaosProxy.Mode.UP;
                            };
                            int delay = f == Fault.SLOW ? 200 + random.nextInt(2800) : 0;
                            if (which != 1) {
                                chaos.set(mode, delay);
                            }
                            if (which != 0) {
                                s3Chaos.set(mode, delay);
                            }
                        }
                    }
                    long began = System.nanoTime();
                    Thread.sleep(length / 1_000_000);
                    if (f == Fault.AZURITE_STOPPED) {
                        azurite.start();
                    }
                    if (f == Fault.S3MOCK_STOPPED) {
                        s3.start();
                    }
                    chaos.set(ChaosProxy.Mode.UP, 0);
                    s3Chaos.set(ChaosProxy.Mode.UP, 0);
                    faults.merge(f, 1, Integer::sum);
                    faultNanos.merge(f, System.nanoTime() - began, Long::sum);
                }

                // Recovery: with the faults gone, the public copy must match the service and the gate reopen.
                long calm = System.nanoTime();
                byte[] served = null;
                byte[] publicCopy = null;
                byte[] s3Copy = null;
                boolean onSchedule = false;
                while (System.nanoTime() - calm < Duration.ofSeconds(60).toNanos()) {
                    served = get("http://127.0.0.1:" + port + "/openid/v1/jwks").body();
                    publicCopy = get(direct).body();
                    s3Copy = get(s3Direct).body();
                    onSchedule = Boolean.TRUE.equals(((Map<?, ?>) RotationIT.issuerHealth(mgmt).get("rotation")).get("onSchedule"));
                    if (onSchedule && Arrays.equals(served, publicCopy) && Arrays.equals(served, s3Copy)) {
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
                // signed, in either store (publicFor). The bootstrap key signs from the start by design.
                int unconfirmed = 0;
                int bootstrap = 0;
                for (Token t : tokens) {
                    if (t.kid().equals(firstKid)) {
                        bootstrap++;
                    } else if (!publicFor(publicAfter, t) || !publicFor(s3PublicAfter, t)) {
                        unconfirmed++;
                    }
                }
                String log = service.output();
                int rotations = activations(tokens);
                Duration chaosFor = Duration.ofNanos(calm - start);

                SecretScan scan = new SecretScan().addCredential("AWS secret access key", S3Mock.SECRET_ACCESS_KEY);
                new DirectoryKeyStore(work.resolve("keys")).load().signingKeys().forEach((kid, k) -> scan.addKey(kid, k.storableKey().orElseThrow()));
                scan.scan("service log", log).scanTree(work.resolve("azurite")).scanTree(s3.store());
                Map<String, byte[]> objects = s3.objects();
                objects.forEach((key, bytes) -> scan.scan("S3 object " + key, bytes));
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
                        && Arrays.equals(served, s3Copy)
                        ? "public copy = served bytes and on schedule after " + recovery.toMillis() / 1000.0 + " s"
                        : "NOT RECOVERED within " + recovery.toMillis() / 1000.0 + " s (on schedule: " + onSchedule + ")"));
                lines.add("- " + scan.summary() + " (service log, " + blobCount + " blobs, " + objects.size() + " S3 objects,"
                        + " Azurite's and S3Mock's data directories, HTTP responses)");
                FaultRun.report("mirror-outages", lines);

                String tail = log.substring(Math.max(0, log.length() - 6000));
                assertThat(publicCopy).as("public copy after the faults; the log's end:\n" + tail).isEqualTo(served);
                assertThat(s3Copy).as("S3 copy after the faults; the log's end:\n" + tail).isEqualTo(served);
                assertThat(objects.keySet()).as("the bucket holds the two documents and nothing else")
                        .containsExactly(".well-known/openid-configuration", "openid/v1/jwks");
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

    /**
     * One anonymous read of a public JWKS: each kid it lists for the first time became public after
     * {@code lastRead}; returns when this read began, or {@code lastRead} again when it failed.
     */
    private static long readPublic(String url, Map<String, Long> publicAfter, long lastRead) {
        try {
            long began = System.nanoTime();
            var r = get(url);
            if (r.statusCode() == 200) {
                for (JWK k : JWKSet.parse(new String(r.body(), StandardCharsets.UTF_8)).getKeys()) {
                    publicAfter.putIfAbsent(k.getKeyID(), lastRead);
                }
                return began;
            }
        } catch (Exception storeStopped) {
            // nothing is public while the store is down
        }
        return lastRead;
    }

    /**
     * Whether the token's kid was provably publicly readable publish-ahead before it was signed: public only after
     * publicAfter, signed before signedBy, and at least publish-ahead between the two.
     */
    private static boolean publicFor(Map<String, Long> publicAfter, Token t) {
        Long seen = publicAfter.get(t.kid());
        return seen != null && (seen == Long.MIN_VALUE || t.signedBy() - seen >= PUBLISH_AHEAD.toNanos());
    }

    /** Key switches the signing client has seen so far: distinct signing kids after the first. */
    private static int activations(List<Token> tokens) {
        return (int) tokens.stream().map(Token::kid).distinct().count() - 1;
    }

    private static Fault pick(Random random) {
        int r = random.nextInt(100);
        return r < 35 ? Fault.NONE : r < 45 ? Fault.AZURITE_STOPPED : r < 55 ? Fault.S3MOCK_STOPPED : r < 70 ? Fault.RESET
                : r < 85 ? Fault.BLACKHOLE : Fault.SLOW;
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
