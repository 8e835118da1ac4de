package io.kubeoidc.service.it;

import static io.kubeoidc.service.it.Await.await;
import static io.kubeoidc.service.it.Await.quietly;
import static io.kubeoidc.service.it.ServiceNode.get;
import static io.kubeoidc.service.it.ServiceNode.kids;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.store.etcd.EtcdConnection;
import io.kubeoidc.store.etcd.EtcdKeyStore;
import io.kubeoidc.store.etcd.EtcdSettings;
import io.kubeoidc.testing.EtcdCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real service processes sharing one key set through a real three-member etcd cluster on loopback,
 * taken through the failures a control plane sees. The steps build on each other, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HighAvailabilityIT {
    static final String ISSUER = "https://oidc.example.com/ha";
    static final String CLAIMS = TestData.kubeClaims(ISSUER, "system:serviceaccount:a:b");

    @TempDir
    static Path work;
    EtcdCluster etcd;
    Path kek;
    final ServiceNode[] replicas = new ServiceNode[3];
    final List<String> report = new ArrayList<>();

    /** Starts (or restarts) a replica, not waiting for readiness. */
    void start(ServiceNode replica) throws Exception {
        replica.start(List.of("--server.port=" + replica.port, "--management.server.port=" + replica.mgmt,
                "--issuer.url=" + ISSUER, "--issuer.keys.store=etcd", "--issuer.keys.encryption-key-file=" + kek,
                "--issuer.keys.etcd.endpoints=" + etcd.endpointList(), "--issuer.keys.etcd.replica-id=" + replica.id,
                "--issuer.keys.etcd.lease-ttl=5s",
                "--issuer.signer.socket=" + replica.socket(), "--issuer.rotation.period=30s",
                "--issuer.rotation.publish-ahead=8s", "--issuer.http.max-age=5s", "--issuer.tokens.max-lifetime=10m",
                "--issuer.rotation.retention=10m", "--issuer.rotation.max-keys=30", // 10m / 30s + 2 keys
                "--issuer.rotation.check-interval=500ms", "--issuer.signer.refresh-hint=2s"));
    }

    /** Signs, verifies against this replica's own JWKS, and returns the kid. */
    static String signAndVerify(ServiceNode replica) throws Exception {
        ServiceNode.Signed signed = replica.sign(CLAIMS);
        assertThat(signed.jws().verify(new RSASSAVerifier((RSAKey) signed.key()))).as("%s signature verifies", replica.id)
                .isTrue();
        return signed.kid();
    }

    ServiceNode leader() throws Exception {
        for (ServiceNode r : replicas) {
            if (r.process.alive() && Boolean.TRUE.equals(r.ha().get("leader"))) {
                return r;
            }
        }
        return null;
    }

    @BeforeAll
    void startClusterAndReplicas() throws Exception {
        etcd = EtcdCluster.start(Files.createDirectories(work.resolve("etcd")), 3);
        kek = TestData.keyEncryptionKey(work.resolve("kek"));
        for (int i = 0; i < 3; i++) {
            replicas[i] = new ServiceNode(work, "node-" + (i + 1));
            start(replicas[i]);
        }
        for (ServiceNode r : replicas) {
            r.process.awaitReady(r.mgmt);
        }
    }

    @AfterAll
    void stopEverything() throws Exception {
        for (ServiceNode r : replicas) {
            if (r != null) {
                r.close();
            }
        }
        if (etcd != null) {
            etcd.close();
        }
        Files.write(Path.of("target/ha-report.txt"), report);
    }

    @Test
    @Order(1)
    void allReplicasServeIdenticalBytesAndOneLeads() throws Exception {
        // The leader rotates every 30 s from the first start, so a commit can land between any two reads:
        // the comparison is retried as a whole until one pass sees the same set everywhere.
        ServiceNode first = replicas[0];
        String[] jwks = new String[1];
        byte[][] fetchKeys = new byte[1][];
        await("identical JWKS, discovery and FetchKeys bytes on every replica, signing with the same ACTIVE key",
                Duration.ofSeconds(60), quietly(() -> {
                    jwks[0] = first.jwks();
                    String discovery = get(first.port, "/.well-known/openid-configuration");
                    fetchKeys[0] = first.fetchKeys();
                    String active = (String) first.health().get("activeKid");
                    for (ServiceNode r : replicas) {
                        if (!r.jwks().equals(jwks[0]) || !get(r.port, "/.well-known/openid-configuration").equals(discovery)
                                || !java.util.Arrays.equals(r.fetchKeys(), fetchKeys[0]) || !signAndVerify(r).equals(active)) {
                            return false;
                        }
                    }
                    return first.jwks().equals(jwks[0]); // no commit landed during the pass
                }));
        for (ServiceNode r : replicas) {
            await(r.id + " sees all three replicas and the one leader", Duration.ofSeconds(30), quietly(() -> {
                ServiceNode leader = leader();
                return ((Map<?, ?>) r.ha().get("replicas")).size() == 3 && leader != null
                        && leader.id.equals(r.ha().get("leaderSeen"));
            }));
        }
        await("exactly one leader", Duration.ofSeconds(30), quietly(() -> {
            int leaders = 0;
            for (ServiceNode r : replicas) {
                leaders += Boolean.TRUE.equals(r.ha().get("leader")) ? 1 : 0;
            }
            return leaders == 1;
        }));
        report.add("identical: JWKS " + jwks[0].length() + " bytes, discovery, FetchKeys " + fetchKeys[0].length
                + " bytes on 3 replicas; leader " + leader().id);
    }

    @Test
    @Order(2)
    void losingOneEtcdMemberChangesNothing() throws Exception {
        ServiceNode leaderBefore = leader();
                etcd.kill(0);
        long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        int checks = 0;
        while (System.nanoTime() < end) {
            for (ServiceNode r : replicas) {
                Map<String, Object> ha = r.ha();
                assertThat(ha.get("degraded")).as("%s degraded with 2 of 3 members: %s", r.id, ha.get("degradedReason"))
                        .isEqualTo(false);
                assertThat(ha.get("leaderSeen")).isEqualTo(leaderBefore.id);
                signAndVerify(r);
                checks++;
            }
            // The leader may rotate meanwhile; every replica still serves what it commits.
            await("replicas agree", Duration.ofSeconds(15), quietly(() -> replicas[0].jwks().equals(replicas[1].jwks())
                    && replicas[1].jwks().equals(replicas[2].jwks())));
            Thread.sleep(300);
        }
        etcd.restart(0);
        etcd.awaitHealthy(EtcdCluster.STARTUP);
        report.add("one member down for 6 s: " + checks + " checks, no replica degraded, leader unchanged, replicas agree");
    }

    @Test
    @Order(3)
    void killingTheLeaderMidRotationCompletesItOnceWithOneNewKey() throws Exception {
        // Rotation has run since the first start, so where it stands now is unknown (a NEXT may already be
        // published, or active): wait for a kid no replica served yet, and take the ACTIVE one from the first
        // replica that serves it (the new kid cannot activate for publish-ahead, 8 s). Measure how fast each
        // replica serves it.
        Set<String> known = new TreeSet<>();
        for (ServiceNode r : replicas) {
            known.addAll(kids(r.jwks()));
        }
        Map<String, Long> firstSeen = new HashMap<>();
        String[] activeWhenSeen = new String[1];
        await("a NEXT key on every replica", Duration.ofSeconds(90), quietly(() -> {
            for (ServiceNode r : replicas) {
                if (!firstSeen.containsKey(r.id) && !known.containsAll(kids(r.jwks()))) {
                    if (firstSeen.isEmpty()) {
                        activeWhenSeen[0] = (String) r.health().get("activeKid");
                    }
                    firstSeen.put(r.id, System.nanoTime());
                }
            }
            return firstSeen.size() == 3;
        }));
        Set<String> afterNext = kids(replicas[0].jwks());
        String oldActive = activeWhenSeen[0];
        String next = afterNext.stream().filter(k -> !known.contains(k)).findFirst().orElseThrow();
        assertThat(oldActive).as("the ACTIVE kid beside the new NEXT").isNotEqualTo(next).isIn(afterNext);
        long spreadMs = (firstSeen.values().stream().max(Long::compare).orElseThrow()
                - firstSeen.values().stream().min(Long::compare).orElseThrow()) / 1_000_000;
        // Watch-driven, so about a second apart; the bound leaves room for a loaded 2-core CI machine.
        assertThat(spreadMs).as("replicas serve the leader's commit within seconds of each other").isLessThan(10_000);
        report.add("NEXT key served by all replicas within " + spreadMs + " ms of the first (100 ms polling)");

        ServiceNode dead = leader();
        assertThat(dead).isNotNull();
        dead.process.kill();
        long killed = System.nanoTime();
        List<ServiceNode> survivors = java.util.Arrays.stream(replicas).filter(r -> r != dead).toList();
        await("a surviving replica leads", Duration.ofSeconds(45), quietly(() -> leader() != null && leader() != dead));
        long takeoverMs = (System.nanoTime() - killed) / 1_000_000;
        await("the rotation completes on the survivors", Duration.ofSeconds(60), quietly(() -> {
            for (ServiceNode r : survivors) {
                if (!next.equals(r.health().get("activeKid"))) {
                    return false;
                }
            }
            return true;
        }));
        for (ServiceNode r : survivors) {
            assertThat(kids(r.jwks())).as("exactly one new key: the old ACTIVE (now retired) and the new ACTIVE, beside"
                    + " the keys served when the NEXT appeared").contains(oldActive, next).containsExactlyInAnyOrderElementsOf(afterNext);
            assertThat(signAndVerify(r)).isEqualTo(next);
        }
        report.add("leader " + dead.id + " killed with NEXT " + next + " published: " + leader().id + " led after "
                + takeoverMs + " ms; rotation completed once, JWKS = {old, new}");

        start(dead);
        dead.process.awaitReady(dead.mgmt);
        await(dead.id + " serves the same set and FetchKeys bytes again", Duration.ofSeconds(30), quietly(() ->
                dead.jwks().equals(survivors.get(0).jwks())
                        && java.util.Arrays.equals(dead.fetchKeys(), survivors.get(0).fetchKeys())));
    }

    @Test
    @Order(4)
    void withoutQuorumEveryReplicaServesAndSignsDegradedAndNothingRotates() throws Exception {
        etcd.kill(1);
        etcd.kill(2);
        long lost = System.nanoTime();
        // The leader steps down once it has not renewed its lease for two thirds of the TTL.
        await("every replica reports degraded, and none leads", Duration.ofSeconds(30), quietly(() -> {
            for (ServiceNode r : replicas) {
                if (!Boolean.TRUE.equals(r.ha().get("degraded")) || Boolean.TRUE.equals(r.ha().get("leader"))) {
                    return false;
                }
            }
            return true;
        }));
        String metrics = get(replicas[0].mgmt, "/actuator/prometheus");
        assertThat(metrics).contains("issuer_ha_degraded 1.0", "issuer_ha_leader 0.0");
        report.add("quorum lost: every replica degraded and the leader stepped down within "
                + (System.nanoTime() - lost) / 1_000_000 + " ms");
        // What each replica serves from here on: read after quorum is gone, since the leader may commit
        // right up to the loss, and a replica may miss a commit the lost members made.
        Map<String, String> jwksOf = new HashMap<>();
        Map<String, String> activeOf = new HashMap<>();
        for (ServiceNode r : replicas) {
            jwksOf.put(r.id, r.jwks());
            activeOf.put(r.id, (String) r.health().get("activeKid"));
        }
        String jwks = jwksOf.get(replicas[0].id);
        String active = activeOf.get(replicas[0].id);
        // Long enough that a NEXT key falls due (period 30s - publish-ahead 8s after activation).
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int signs = 0;
        while (System.nanoTime() < end) {
            for (ServiceNode r : replicas) {
                assertThat(r.jwks()).as("%s JWKS during the outage", r.id).isEqualTo(jwksOf.get(r.id));
                assertThat(signAndVerify(r)).isEqualTo(activeOf.get(r.id));
                assertThat(r.ha().get("leader")).isEqualTo(false);
                signs++;
            }
            Thread.sleep(500);
        }
        Map<String, Object> health = replicas[0].health();
        assertThat(((Map<?, ?>) health.get("rotation")).get("waitingFor").toString()).startsWith("degraded:");
        report.add("no quorum for 20 s: " + signs + " tokens signed with ACTIVE " + active
                + ", JWKS unchanged, every replica degraded, no leader, no rotation");

        etcd.restart(1);
        etcd.restart(2);
        etcd.awaitHealthy(EtcdCluster.STARTUP);
        // The overdue step is a NEXT key published, or (when one was published before the loss) activated.
        await("recovery: not degraded, one leader, and the overdue rotation resumes", Duration.ofSeconds(60), quietly(() -> {
            for (ServiceNode r : replicas) {
                if (Boolean.TRUE.equals(r.ha().get("degraded"))) {
                    return false;
                }
            }
            return leader() != null && (!kids(replicas[0].jwks()).equals(kids(jwks))
                    || !active.equals(replicas[0].health().get("activeKid")));
        }));
    }

    @Test
    @Order(5)
    void aReplicaColdStartsFromItsLocalCopyWhileEtcdIsDown() throws Exception {
        ServiceNode r = replicas[2];
        await("all replicas agree", Duration.ofSeconds(30), quietly(() ->
                replicas[0].jwks().equals(r.jwks()) && replicas[1].jwks().equals(r.jwks())));
        Path copy = r.dir.resolve("data/keyset.sealed");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
        assertThat(Files.readString(copy)).doesNotContain("PRIVATE KEY");

        for (int i = 0; i < etcd.size(); i++) {
            etcd.kill(i);
        }
        // Read with etcd gone, so no rotation commit can land between this and the restart.
        String jwks = r.jwks();
        String active = (String) r.health().get("activeKid");
        r.process.kill();
        start(r);
        r.process.awaitReady(r.mgmt);
        assertThat(r.jwks()).isEqualTo(jwks);
        assertThat(signAndVerify(r)).isEqualTo(active);
        Map<String, Object> ha = r.ha();
        assertThat(ha.get("degraded")).isEqualTo(true);
        assertThat(ha.get("servingLocalCopy")).isEqualTo(true);
        assertThat(ha.get("degradedReason").toString()).contains("serving the local copy of revision");
        report.add("cold start with etcd down: served the local copy (same JWKS), signed with " + active + ", degraded");

        for (int i = 0; i < etcd.size(); i++) {
            etcd.restart(i);
        }
        etcd.awaitHealthy(EtcdCluster.STARTUP);
        await("back in the group", Duration.ofSeconds(30), quietly(() -> Boolean.FALSE.equals(r.ha().get("degraded"))
                && Boolean.FALSE.equals(r.ha().get("servingLocalCopy"))));
    }

    /**
     * A writer that ignores the rules (a hand edit, an old version) commits a set whose ACTIVE key was never
     * confirmed: every replica keeps publishing it but refuses to sign with it, and says why.
     */
    @Test
    @Order(6)
    void replicasRefuseToSignWithAnActiveKeyThatWasNeverConfirmed() throws Exception {
        try (var conn = new EtcdConnection(new EtcdSettings(etcd.endpoints(), "/kube-oidc-issuer/", null, null, null,
                null, null, Duration.ofSeconds(5)))) {
            var rogue = new EtcdKeyStore(conn, new SealedBox(KeyEncryptionKey.readFile(kek)), java.time.Clock.systemUTC(),
                    List::of);
            ManagedKey active = null;
            // The leader keeps committing (rotation runs every 30 s): on a lost race, read again and redo.
            for (int attempt = 1; active == null; attempt++) {
                var stored = rogue.load();
                var current = stored.keySet().active().orElseThrow();
                List<ManagedKey> keys = new ArrayList<>(stored.keySet().keys());
                keys.set(keys.indexOf(current), current.withConfirmedAt(null).withGateBypass(null));
                try {
                    rogue.commit(stored.keySet().revision(), new KeySet(stored.keySet().revision(), keys), List.of());
                    active = current;
                } catch (io.kubeoidc.store.StaleKeySetException lost) {
                    assertThat(attempt).as("rogue commit lost to the leader: %s", lost.getMessage()).isLessThan(10);
                }
            }
            ManagedKey rogueActive = active;
            for (ServiceNode r : replicas) {
                await(r.id + " refuses to sign", Duration.ofSeconds(30), quietly(() -> {
                    try {
                        signAndVerify(r);
                        return false;
                    } catch (io.grpc.StatusRuntimeException e) {
                        return true;
                    }
                }));
                assertThat(kids(r.jwks())).as("%s still publishes the unconfirmed key", r.id).contains(rogueActive.kid());
                r.process.awaitOutput("Refusing to sign: ACTIVE kid " + active.kid()
                        + " was never confirmed by the publication targets");
            }
            report.add("an unconfirmed ACTIVE key committed by a rogue writer: all 3 replicas refused to sign and said why");

            // The way out is the operator's emergency rotation, run with the CLI against etcd.
            // Conditioned on the revision it read, like the rogue: a commit by the leader in between makes it
            // say "reload and try again", which is what an operator does.
            JarProcess.Result rotate = null;
            for (int attempt = 0; attempt < 5; attempt++) {
                rotate = JarProcess.run(work, "keys", "rotate", "--emergency", "--revoke", active.kid(), "--yes",
                        "--etcd-endpoints=" + etcd.endpointList(), "--encryption-key-file=" + kek);
                if (rotate.exitCode() == 0 || !rotate.output().contains("reload and try again")) {
                    break;
                }
            }
            assertThat(rotate.exitCode()).as(rotate.output()).isZero();
            for (ServiceNode r : replicas) {
                await(r.id + " signs with the emergency key", Duration.ofSeconds(30), quietly(() ->
                        !signAndVerify(r).equals(rogueActive.kid()) && !kids(r.jwks()).contains(rogueActive.kid())));
            }
            var status = JarProcess.run(work, "keys", "status", "--etcd-endpoints=" + etcd.endpointList(),
                    "--encryption-key-file=" + kek);
            assertThat(status.output()).contains("policy (as the service last ran): period 30 s,").doesNotContain(active.kid());
            report.add("emergency rotation through etcd with the CLI: every replica signs with the new key, the revoked"
                    + " kid left every JWKS");
        }
    }

    /** The operator's view: `ha status` reads etcd directly, with no key-encryption key. */
    @Test
    @Order(7)
    void haStatusShowsTheLeaderAndEveryReplicaInStep() throws Exception {
        await("every replica in step", Duration.ofSeconds(30), quietly(() ->
                replicas[0].jwks().equals(replicas[1].jwks()) && replicas[1].jwks().equals(replicas[2].jwks())
                        && leader() != null));
        // A replica announces a new revision within a second of serving it, and the leader keeps rotating:
        // retry across a commit in flight, comparing with the revision and leader read right after each run.
        JarProcess.Result status = null;
        Object revision = null;
        String leaderId = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        do {
            if (status != null) {
                Thread.sleep(1000);
            }
            status = JarProcess.run(work, "ha", "status", "--etcd-endpoints=" + etcd.endpointList());
            revision = replicas[0].health().get("storeRevision");
            ServiceNode leader = leader();
            leaderId = leader == null ? "(none)" : leader.id;
        } while (!(status.output().split("in step", -1).length == 4 && status.output().contains("leader: " + leaderId)
                && status.output().contains("key set revision " + revision)) && System.nanoTime() < deadline);
        assertThat(status.exitCode()).as(status.output()).isZero();
        assertThat(status.output()).contains("leader: " + leaderId, "replicas (3):", "key set revision " + revision);
        assertThat(status.output().split("in step", -1)).as(status.output()).hasSize(4);
        for (ServiceNode r : replicas) {
            assertThat(status.output()).contains(r.id);
        }
        var noKek = JarProcess.run(work, "keys", "list", "--etcd-endpoints=" + etcd.endpointList());
        assertThat(noKek.exitCode()).isEqualTo(2);
        assertThat(noKek.output()).contains("--etcd-endpoints needs --encryption-key-file");
        var bad = JarProcess.run(work, "ha", "status", "--etcd-endpoints=etcd-1:2379");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.output()).contains("error: etcd endpoint 'etcd-1:2379' must look like https://10.0.0.1:2379");
        report.add("ha status: leader " + leaderId + ", 3 replicas in step");
    }
}
