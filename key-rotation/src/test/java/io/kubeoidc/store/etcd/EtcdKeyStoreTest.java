package io.kubeoidc.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.RSAKey;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.GateStatus;
import io.kubeoidc.rotation.KeySource;
import io.kubeoidc.rotation.RotationPlan;
import io.kubeoidc.rotation.RotationPlanner;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.store.KeyStoreException;
import io.kubeoidc.store.SealedKeySetFile;
import io.kubeoidc.store.StaleKeySetException;
import io.kubeoidc.store.StoredKeys;
import io.kubeoidc.testing.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The etcd store and election against a real etcd member. */
class EtcdKeyStoreTest {
    static final RotationPolicy POLICY = RotationPolicy.defaults(Duration.ofHours(1));
    static final KeySource RSA = spec -> SigningKey.generate(KeySpec.RSA_2048, new SecureRandom());
    static final AtomicInteger PREFIXES = new AtomicInteger();
    static final Duration REAL_CLOCK_TTL = Duration.ofSeconds(10);

    @TempDir
    static Path etcdDir;
    static EtcdCluster etcd;

    @TempDir
    Path work;
    final List<AutoCloseable> closing = new ArrayList<>();
    String prefix;
    SealedBox box;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = EtcdCluster.start(etcdDir, 1);
    }

    @AfterAll
    static void stopEtcd() throws Exception {
        etcd.close();
    }

    @org.junit.jupiter.api.BeforeEach
    void freshPrefix() {
        prefix = "/test-" + PREFIXES.incrementAndGet() + "/";
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        box = new SealedBox(KeyEncryptionKey.of(raw));
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    EtcdConnection connect() {
        EtcdConnection c = new EtcdConnection(new EtcdSettings(etcd.endpoints(), prefix, null, null, null, null, null,
                Duration.ofSeconds(3)));
        closing.add(c);
        return c;
    }

    EtcdKeyStore store(EtcdConnection c, SealedBox with) {
        return new EtcdKeyStore(c, with, Clock.systemUTC(), List::of);
    }

    static StoredKeys bootstrap(EtcdKeyStore store) {
        RotationPlan plan = RotationPlanner.plan(KeySet.EMPTY, POLICY, new GateStatus(Map.of()), Instant.now(), RSA);
        return store.commit(0, plan.next(), plan.newKeys());
    }

    @Test
    void resealMovesEveryValueToTheNewKeyInOneGoAndAgainChangesNothing() throws Exception {
        EtcdKeyStore old = store(connect(), box);
        StoredKeys committed = bootstrap(old);
        old.recordPolicy(POLICY);
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        SealedBox next = new SealedBox(KeyEncryptionKey.of(raw));

        assertThat(old.reseal(next)).isEqualTo(3); // keyset, policy, one private key
        assertThat(old.reseal(next)).isZero();
        EtcdKeyStore resealed = store(connect(), next);
        assertThat(resealed.load().keySet()).isEqualTo(committed.keySet());
        assertThat(resealed.load().activeSigningKey()).isEqualTo(committed.activeSigningKey());
        assertThat(resealed.recordedPolicy()).contains(POLICY);
        assertThatThrownBy(old::load).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("but the configured key is " + box.keyId());
    }

    @Test
    void aRetiredKeysPrivateEntryIsDeletedAndALowerRevisionIsRefusedBelowTheFloor() throws Exception {
        EtcdKeyStore writer = store(connect(), box);
        StoredKeys first = bootstrap(writer);
        ManagedKey active = first.keySet().active().orElseThrow();
        List<ManagedKey> keys = new ArrayList<>(first.keySet().keys());
        keys.set(keys.indexOf(active), active.withState(KeyState.RETIRED, Instant.now()));
        StoredKeys retired = writer.commit(1, new KeySet(1, keys), List.of());
        assertThat(retired.keySet().find(active.kid()).orElseThrow().hasPrivateKey()).isFalse();
        var entries = connect().call("list", () -> connect().client().getKVClient().get(
                io.etcd.jetcd.ByteSequence.from(prefix + "private/", StandardCharsets.UTF_8),
                GetOption.builder().isPrefix(true).build()));
        assertThat(entries.getKvs()).isEmpty();

        var floor = new io.kubeoidc.store.RevisionFloor.InMemory(3);
        EtcdKeyStore replica = new EtcdKeyStore(connect(), box, Clock.systemUTC(), List::of, floor);
        assertThatThrownBy(replica::load).isInstanceOf(io.kubeoidc.store.RolledBackKeySetException.class)
                .hasMessageContaining("holds key-set revision 2, but revision 3 was already served here");
        assertThat(replica.restore(3).keySet().revision()).isEqualTo(4);
        assertThat(replica.load().keySet().revision()).isEqualTo(4);
    }

    @Test
    void everyReplicaLoadsTheSameSetAndEtcdNeverSeesAPrivateKey() throws Exception {
        EtcdKeyStore writer = store(connect(), box);
        StoredKeys committed = bootstrap(writer);
        EtcdKeyStore reader = store(connect(), box);
        StoredKeys loaded = reader.load();

        assertThat(loaded.keySet()).isEqualTo(committed.keySet());
        assertThat(loaded.keySet().revision()).isEqualTo(1);
        assertThat(loaded.keySet().keysChangedAt()).isNotNull();
        assertThat(loaded.activeSigningKey().orElseThrow()).isEqualTo(committed.activeSigningKey().orElseThrow());
        assertThat(reader.version()).isEqualTo(writer.version()).isEqualTo(writer.versionOf(committed.keySet()));

        // The raw etcd values: no PEM private key, no DER, no private component in any encoding.
        RSAPrivateCrtKey priv = (RSAPrivateCrtKey) committed.activeSigningKey().orElseThrow().storableKey().orElseThrow();
        RSAKey jwk = new RSAKey.Builder((java.security.interfaces.RSAPublicKey) committed.keySet().active().orElseThrow()
                .key().publicKey()).privateKey(priv).build();
        var raw = connect().call("dump", () -> connect().client().getKVClient().get(
                io.etcd.jetcd.ByteSequence.from(prefix, StandardCharsets.UTF_8), GetOption.builder().isPrefix(true).build()));
        // Each value as stored, and its base64url segments decoded (the metadata is a JWS, the keys JWEs).
        String all = raw.getKvs().stream().map(KeyValue::getValue).map(v -> v.toString(StandardCharsets.ISO_8859_1))
                .flatMap(v -> java.util.stream.Stream.concat(java.util.stream.Stream.of(v),
                        java.util.Arrays.stream(v.split("\\.")).map(part -> {
                            try {
                                return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.ISO_8859_1);
                            } catch (IllegalArgumentException notBase64) {
                                return "";
                            }
                        })))
                .collect(Collectors.joining("\n"));
        assertThat(raw.getKvs()).hasSize(2); // keyset and one sealed private key
        assertThat(all).doesNotContain("PRIVATE KEY", Base64.getEncoder().encodeToString(priv.getEncoded()).substring(0, 64),
                jwk.getPrivateExponent().toString(), jwk.getFirstPrimeFactor().toString(), jwk.getSecondPrimeFactor().toString(),
                priv.getPrivateExponent().toString(16), priv.getPrimeP().toString(16));
        assertThat(all).contains("PUBLIC KEY");
    }

    @Test
    void anotherKeyEncryptionKeyCannotReadTheStore() {
        bootstrap(store(connect(), box));
        byte[] raw = new byte[32];
        SealedBox wrong = new SealedBox(KeyEncryptionKey.of(raw));
        assertThatThrownBy(() -> store(connect(), wrong).load()).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("with key-encryption key " + box.keyId())
                .hasMessageContaining("configured key is " + wrong.keyId());
    }

    /** Write access to etcd without the key-encryption key cannot slip a key of one's own into the JWKS. */
    @Test
    void metadataChangedWithoutTheKeyEncryptionKeyIsRefused() throws Exception {
        StoredKeys committed = bootstrap(store(connect(), box));
        EtcdConnection c = connect();
        var kv = c.call("get", () -> c.client().getKVClient().get(c.key("keyset"))).getKvs().get(0);
        String[] jws = kv.getValue().toString(StandardCharsets.US_ASCII).split("\\.");
        String json = new String(Base64.getUrlDecoder().decode(jws[1]), StandardCharsets.UTF_8);
        assertThat(json).contains(committed.keySet().active().orElseThrow().kid()); // readable: ha status shows it

        // The attacker's own key, appended as VERIFY_ONLY, keeping the old header and MAC.
        SigningKey attacker = SigningKey.generate(KeySpec.RSA_2048, new SecureRandom());
        String injected = new String(io.kubeoidc.store.KeySetJson.encodeSelfContained(new KeySet(1,
                java.util.stream.Stream.concat(committed.keySet().keys().stream(), java.util.stream.Stream.of(
                        ManagedKey.added(attacker.verificationKey(), KeyState.VERIFY_ONLY, false, Instant.now(), "attacker")))
                        .toList(), committed.keySet().keysChangedAt())), StandardCharsets.UTF_8);
        String forged = jws[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                injected.getBytes(StandardCharsets.UTF_8)) + "." + jws[2];
        c.call("put", () -> c.client().getKVClient().put(c.key("keyset"),
                io.etcd.jetcd.ByteSequence.from(forged, StandardCharsets.US_ASCII)));
        assertThatThrownBy(() -> store(connect(), box).load()).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("failed its integrity check");
        // Plain JSON without any MAC is refused as well.
        c.call("put", () -> c.client().getKVClient().put(c.key("keyset"),
                io.etcd.jetcd.ByteSequence.from(injected, StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> store(connect(), box).load()).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("is not an authenticated value");
    }

    /** Two would-be leaders plan from the same revision: one transaction wins, the other retries and adds nothing. */
    @Test
    void twoWritersRacingOnTheSameRevisionOneWinsTheOtherRetries() throws Exception {
        StoredKeys base = bootstrap(store(connect(), box));
        Instant due = base.keySet().active().orElseThrow().stateSince().plus(POLICY.period());
        EtcdKeyStore a = store(connect(), box);
        EtcdKeyStore b = store(connect(), box);
        GateStatus none = new GateStatus(Map.of());

        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<String>> results = new ArrayList<>();
        for (EtcdKeyStore s : List.of(a, b)) {
            RotationPlan plan = RotationPlanner.plan(s.load().keySet(), POLICY, none, due, RSA);
            assertThat(plan.newKeys()).hasSize(1);
            results.add(pool.submit((Callable<String>) () -> {
                go.await();
                try {
                    s.commit(base.keySet().revision(), plan.next(), plan.newKeys());
                    return "won";
                } catch (StaleKeySetException e) {
                    // The loser's retry: reload, plan again from what won.
                    StoredKeys now = s.load();
                    RotationPlan again = RotationPlanner.plan(now.keySet(), POLICY, none, due, RSA);
                    return again.changed() ? "replanned-changed" : "retried";
                }
            }));
        }
        go.countDown();
        List<String> outcomes = new ArrayList<>();
        for (Future<String> f : results) {
            outcomes.add(f.get());
        }
        pool.shutdown();
        assertThat(outcomes).containsExactlyInAnyOrder("won", "retried");
        KeySet finalSet = a.load().keySet();
        assertThat(finalSet.revision()).isEqualTo(2);
        assertThat(finalSet.keys()).hasSize(2);
        assertThat(finalSet.keys().stream().filter(k -> k.state() == KeyState.NEXT)).hasSize(1);
    }

    @Test
    void onlyTheLeaderCanCommitAndALapsedLeaderIsFencedOut() throws Exception {
        EtcdConnection ca = connect();
        EtcdConnection cb = connect();
        MutableClock clockA = new MutableClock();
        var leaderA = new EtcdLeaderElection(ca, "a", Duration.ofSeconds(2), clockA);
        // B and C run on the real clock: a TTL long enough that a CPU-starved keep-alive does not make them step
        // down between their step and the assertion (A's short lease is the one that must lapse).
        var leaderB = new EtcdLeaderElection(cb, "b", REAL_CLOCK_TTL, Clock.systemUTC());
        closing.add(leaderB);
        leaderA.step();
        leaderB.step();
        assertThat(leaderA.isLeader()).isTrue();
        assertThat(leaderB.isLeader()).isFalse();
        assertThat(leaderB.leaderSeen()).contains("a");

        EtcdKeyStore asB = new EtcdKeyStore(cb, box, Clock.systemUTC(), leaderB::fence);
        RotationPlan plan = RotationPlanner.plan(KeySet.EMPTY, POLICY, new GateStatus(Map.of()), Instant.now(), RSA);
        assertThatThrownBy(() -> asB.commit(0, plan.next(), plan.newKeys())).isInstanceOf(StaleKeySetException.class)
                .hasMessageContaining("no longer holds the leader key");

        // A stops renewing (a long GC pause): etcd expires its lease, B takes over.
        leaderA.stallRenewalForTest();
        // etcd expires the 2 s lease on its own schedule, later on a loaded machine: B steps until it leads.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        do {
            Thread.sleep(200);
            leaderB.step();
        } while (!leaderB.isLeader() && System.nanoTime() < deadline);
        assertThat(leaderB.isLeader()).as("B leads once etcd expired A's lease").isTrue();
        // A wakes up still believing in its old state until its own clock says the lease lapsed.
        clockA.advance(Duration.ofSeconds(3));
        assertThat(leaderA.isLeader()).isFalse();
        EtcdKeyStore asA = new EtcdKeyStore(ca, box, Clock.systemUTC(), leaderA::fence);
        assertThatThrownBy(() -> asA.commit(0, plan.next(), plan.newKeys())).isInstanceOf(StaleKeySetException.class);
        EtcdKeyStore asLeaderB = new EtcdKeyStore(cb, box, Clock.systemUTC(), leaderB::fence);
        assertThat(asLeaderB.commit(0, plan.next(), plan.newKeys()).keySet().revision()).isEqualTo(1);

        // Replicas announce themselves on their leases; a clean stop hands over at once.
        leaderB.announce(1, false, "v1");
        assertThat(leaderB.replicas()).extracting(EtcdLeaderElection.Replica::id).containsExactly("b");
        leaderB.close();
        var leaderC = new EtcdLeaderElection(connect(), "c", REAL_CLOCK_TTL, Clock.systemUTC());
        closing.add(leaderC);
        // At once when B's revoke landed; after B's TTL if that call timed out on a loaded machine.
        deadline = System.nanoTime() + REAL_CLOCK_TTL.multipliedBy(6).toNanos();
        leaderC.step();
        while (!leaderC.isLeader() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            leaderC.step();
        }
        assertThat(leaderC.isLeader()).as("C leads once B stepped down").isTrue();
        assertThat(leaderC.replicas()).isEmpty();
    }

    @Test
    void theLocalCopyIsSealedPrivateAndRoundTrips() throws Exception {
        StoredKeys committed = bootstrap(store(connect(), box));
        SealedKeySetFile copy = new SealedKeySetFile(work.resolve("local/keyset.sealed"), box);
        copy.write(committed, "v1", Instant.parse("2026-11-24T10:00:00Z"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.file()))).isEqualTo("rw-------");
        String onDisk = Files.readString(copy.file());
        assertThat(onDisk).doesNotContain("PRIVATE", "PUBLIC");
        var read = copy.read().orElseThrow();
        assertThat(read.keys().keySet()).isEqualTo(committed.keySet());
        assertThat(read.keys().activeSigningKey()).isEqualTo(committed.activeSigningKey());
        assertThat(read.version()).isEqualTo("v1");

        SealedBox wrong = new SealedBox(KeyEncryptionKey.of(new byte[32]));
        assertThatThrownBy(() -> new SealedKeySetFile(copy.file(), wrong).read()).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("local key-set copy").hasMessageContaining("key-encryption key");
        assertThat(new SealedKeySetFile(work.resolve("none"), box).read()).isEmpty();
    }

    @Test
    void anUnreachableEtcdFailsWithinTheTimeoutAndSaysWhy() {
        EtcdConnection dead = new EtcdConnection(new EtcdSettings(List.of(java.net.URI.create("http://127.0.0.1:1")),
                prefix, null, null, null, null, null, Duration.ofMillis(800)));
        closing.add(dead);
        long start = System.nanoTime();
        assertThatThrownBy(() -> store(dead, box).load()).isInstanceOf(EtcdUnavailableException.class)
                .hasMessageContaining("127.0.0.1:1");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void settingsRejectBadValues() {
        var ok = List.of(java.net.URI.create("https://10.0.0.1:2379"));
        for (String bad : List.of("10.0.0.1:2379", "tcp://10.0.0.1:2379", "https://10.0.0.1", "http://[bad")) {
            assertThatThrownBy(() -> new EtcdSettings(EtcdSettings.parseEndpoints(bad), "/p/", null, null, null, null, null,
                    Duration.ofSeconds(1))).as(bad).hasMessageContaining("must look like https://10.0.0.1:2379");
        }
        assertThatThrownBy(() -> new EtcdSettings(EtcdSettings.parseEndpoints(" , "), "/p/", null, null, null, null, null,
                Duration.ofSeconds(1))).hasMessageContaining("no etcd endpoints");
        assertThat(EtcdSettings.parseEndpoints("https://a:2379, https://b:2379")).hasSize(2);
        assertThatThrownBy(() -> new EtcdSettings(ok, "p", null, null, null, null, null, Duration.ofSeconds(1)))
                .hasMessageContaining("must start and end with '/'");
        assertThatThrownBy(() -> new EtcdSettings(ok, "/p/", null, Path.of("c"), null, null, null, Duration.ofSeconds(1)))
                .hasMessageContaining("certificate and its key go together");
    }

    static final class MutableClock extends Clock {
        private Instant now = Instant.now();
        private final long started = System.nanoTime();
        private Duration offset = Duration.ZERO;

        void advance(Duration d) {
            offset = offset.plus(d);
        }

        @Override
        public Instant instant() {
            return now.plusNanos(System.nanoTime() - started).plus(offset);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
