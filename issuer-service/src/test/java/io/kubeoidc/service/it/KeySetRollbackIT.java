package io.kubeoidc.service.it;

import static io.kubeoidc.service.it.Await.await;
import static io.kubeoidc.service.it.Await.quietly;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.testing.EtcdCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollback attacks from outside the service: older, authentic key sets written back with etcdctl (which holds no
 * key-encryption key) or by copying old files into the key directory after an emergency revocation. Every replica
 * keeps serving and signing what it served, says so (health, metric, audit line), also across a restart; the
 * operator's `keys restore` is the only way back. Also: a tampered policy in etcd is refused, a retired key's
 * private half is gone from every store, and `keys reseal` moves everything to a new key-encryption key.
 * The steps build on each other, in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeySetRollbackIT {
    static final String ISSUER = "https://oidc.example.com/rollback";
    static final String PREFIX = "/kube-oidc-issuer/";
    /** As kube-apiserver sends them: the signer signs only its own issuer, with a bounded lifetime. */
    static final String CLAIMS = TestData.kubeClaims(ISSUER, "system:serviceaccount:a:b");

    @TempDir
    static Path work;
    EtcdCluster etcd;
    Path kek;
    final ServiceNode[] replicas = new ServiceNode[2];
    String revoked;
    String savedKeyset;
    String savedPrivate;

    /** The arguments every node here starts with: a long rotation period, so the operator starts rotations. */
    static List<String> common(ServiceNode node) {
        return List.of("--server.port=" + node.port, "--management.server.port=" + node.mgmt, "--issuer.url=" + ISSUER,
                "--issuer.signer.socket=" + node.socket(), "--issuer.rotation.period=1h",
                "--issuer.rotation.publish-ahead=8s", "--issuer.rotation.retention=10m", "--issuer.http.max-age=5s",
                "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.check-interval=500ms",
                "--issuer.signer.refresh-hint=2s");
    }

    /** Starts a replica on etcd. */
    void startWithEtcd(ServiceNode replica, Path keyEncryptionKey) throws Exception {
        List<String> args = new ArrayList<>(common(replica));
        args.addAll(List.of("--issuer.keys.store=etcd", "--issuer.keys.encryption-key-file=" + keyEncryptionKey,
                "--issuer.keys.etcd.endpoints=" + etcd.endpointList(), "--issuer.keys.etcd.replica-id=" + replica.id,
                "--issuer.keys.etcd.lease-ttl=5s"));
        replica.start(args);
        replica.process.awaitReady(replica.mgmt, Duration.ofSeconds(180));
    }

    /** Starts a single node on its key directory. */
    static void startOnDirectory(ServiceNode node) throws Exception {
        node.start(common(node));
        node.process.awaitReady(node.mgmt, Duration.ofSeconds(180));
    }

    /** Signs a token and returns the kid in its header, after checking the JWKS served has that kid. */
    static String signingKid(ServiceNode node) throws Exception {
        return node.sign(CLAIMS).kid();
    }

    /** The revision inside an authenticated `keyset` value, decoded by hand. */
    static long revisionOf(String authenticatedKeyset) throws Exception {
        String payload = new String(Base64.getUrlDecoder().decode(authenticatedKeyset.split("\\.")[1]), StandardCharsets.UTF_8);
        return JSONObjectUtils.getLong(JSONObjectUtils.parse(payload), "revision");
    }

    String etcdValue(String key) throws Exception {
        return etcd.etcdctl("get", PREFIX + key, "--print-value-only").strip();
    }

    /** The key-set JSON inside the authenticated `keyset` value, decoded by hand (base64url of the JWS payload). */
    @SuppressWarnings("unchecked")
    Map<String, Object> keysetEntry(String kid) throws Exception {
        String payload = new String(Base64.getUrlDecoder().decode(etcdValue("keyset").split("\\.")[1]), StandardCharsets.UTF_8);
        for (Object k : JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(payload), "keys")) {
            if (kid.equals(((Map<String, Object>) k).get("kid"))) {
                return (Map<String, Object>) k;
            }
        }
        return null;
    }

    JarProcess.Result cli(Path dir, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--etcd-endpoints=" + etcd.endpointList(), "--encryption-key-file=" + kek));
        return JarProcess.run(dir, all.toArray(String[]::new));
    }

    @BeforeAll
    void start() throws Exception {
        etcd = EtcdCluster.start(Files.createDirectories(work.resolve("etcd")), 1);
        kek = TestData.keyEncryptionKey(work.resolve("kek"));
        for (int i = 0; i < replicas.length; i++) {
            replicas[i] = new ServiceNode(work, "node-" + (i + 1));
            startWithEtcd(replicas[i], kek);
        }
    }

    @AfterAll
    void stop() throws Exception {
        for (ServiceNode r : replicas) {
            if (r != null) {
                r.close();
            }
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    @Order(1)
    void etcdRolledBackAfterAnEmergencyRevocationIsRefusedByEveryReplica() throws Exception {
        await("one key on both replicas", Duration.ofSeconds(90), quietly(() ->
                replicas[0].jwksKids().size() == 1 && replicas[0].jwksKids().equals(replicas[1].jwksKids())));
        revoked = replicas[0].jwksKids().iterator().next();
        savedKeyset = etcdValue("keyset");
        savedPrivate = etcdValue("private/" + revoked);
        assertThat(savedPrivate).as("the saved private key is sealed, not PEM").isNotEmpty().doesNotContain("PRIVATE KEY");

        var revoke = cli(work, "keys", "rotate", "--emergency", "--revoke", revoked, "--yes");
        assertThat(revoke.exitCode()).as(revoke.output()).isZero();
        for (ServiceNode r : replicas) {
            await(r.id + " drops the revoked key", Duration.ofSeconds(60), quietly(() ->
                    !r.jwksKids().contains(revoked) && !signingKid(r).equals(revoked)));
        }
        long revisionAfterRevocation = ((Number) replicas[0].health().get("storeRevision")).longValue();
        long old = revisionOf(savedKeyset);
        assertThat(old).isLessThan(revisionAfterRevocation);

        // The attack: the old, validly sealed values written back by a process holding no key-encryption key.
        etcd.etcdctl("put", PREFIX + "private/" + revoked, savedPrivate);
        etcd.etcdctl("put", PREFIX + "keyset", savedKeyset);

        for (ServiceNode r : replicas) {
            // The rotation loop records its hold on its next tick, after the reload that refused the set.
            await(r.id + " reports the refused rollback", Duration.ofSeconds(60), quietly(() ->
                    r.health().containsKey("rollbackRefused") && String.valueOf(((Map<?, ?>) r.health().get("rotation"))
                            .get("waitingFor")).startsWith("degraded:")));
            Map<String, Object> health = r.health();
            assertThat(health.get("rollbackRefused").toString()).contains("was rolled back: it holds key-set revision "
                    + old + ", but revision " + revisionAfterRevocation + " was already served here", "keys restore");
            assertThat(((Number) health.get("storeRevision")).longValue()).isEqualTo(revisionAfterRevocation);
            assertThat(r.jwksKids()).doesNotContain(revoked);
            for (int i = 0; i < 5; i++) {
                assertThat(signingKid(r)).isNotEqualTo(revoked);
            }
            assertThat(r.ha().get("degraded")).isEqualTo(true);
            assertThat(((Map<?, ?>) health.get("rotation")).get("waitingFor").toString()).startsWith("degraded:");
            assertThat(r.metrics()).contains("issuer_keyset_rollbacks_refused_total 1.0",
                    "issuer_keyset_rollback_refusing 1.0", "issuer_ha_degraded 1.0");
            assertThat(r.process.output()).contains("rollback refused: the store holds key-set revision " + old
                    + ", below the high-water mark " + revisionAfterRevocation + "; the served keys are unchanged");
        }

        // Across a restart: the sealed local copy remembers the high-water mark, so the replica serves it, not etcd.
        ServiceNode restarted = replicas[1];
        restarted.process.stop();
        startWithEtcd(restarted, kek);
        assertThat(restarted.jwksKids()).doesNotContain(revoked);
        assertThat(signingKid(restarted)).isNotEqualTo(revoked);
        assertThat(restarted.health().get("rollbackRefused").toString()).contains("was rolled back");
        assertThat(((Number) restarted.health().get("storeRevision")).longValue()).isEqualTo(revisionAfterRevocation);
        assertThat(restarted.metrics()).contains("issuer_keyset_rollbacks_refused_total 1.0");
        assertThat(restarted.process.output()).contains("rollback refused: the store holds key-set revision " + old);
    }

    @Test
    @Order(2)
    void aPolicyWrittenWithoutTheKeyEncryptionKeyIsRefused() throws Exception {
        String authentic = etcdValue("policy");
        assertThat(authentic.split("\\.")).as("the policy is stored authenticated (a JWS)").hasSize(3);
        String tampered = "{\"period\":\"PT30S\",\"publishAhead\":\"PT8S\",\"retention\":\"PT10M\",\"maxTokenLifetime\":"
                + "\"PT10M\",\"jwksMaxAge\":\"PT5S\",\"algorithm\":\"EC-P256\",\"maxKeys\":10}";
        etcd.etcdctl("put", PREFIX + "policy", tampered);
        String keysetBefore = etcdValue("keyset");

        var rotate = cli(work, "keys", "rotate");
        assertThat(rotate.exitCode()).as(rotate.output()).isEqualTo(1);
        assertThat(rotate.output()).contains("refusing the recorded policy: /kube-oidc-issuer/policy is not an"
                + " authenticated value");
        assertThat(etcdValue("keyset")).as("nothing committed").isEqualTo(keysetBefore);
        var status = cli(work, "keys", "status");
        assertThat(status.exitCode()).isEqualTo(1);
        assertThat(status.output()).contains("refusing the recorded policy");

        // An authentic policy value moved into place from another slot is refused too; the authentic one works.
        etcd.etcdctl("put", PREFIX + "policy", savedKeyset);
        assertThat(cli(work, "keys", "status").output()).contains("refusing the recorded policy",
                "failed its integrity check");
        etcd.etcdctl("put", PREFIX + "policy", authentic);
        assertThat(cli(work, "keys", "status").exitCode()).isZero();
    }

    @Test
    @Order(3)
    void keysRestoreReturnsToTheOldSetOnPurpose() throws Exception {
        var unconfirmed = cli(work, "keys", "restore");
        assertThat(unconfirmed.exitCode()).isEqualTo(1);
        assertThat(unconfirmed.output()).contains("Nothing was changed. Re-run with --yes to proceed.");
        assertThat(etcdValue("keyset")).isEqualTo(savedKeyset);

        long highest = Math.max(((Number) replicas[0].health().get("storeRevision")).longValue(),
                ((Number) replicas[1].health().get("storeRevision")).longValue());
        var restore = cli(work, "keys", "restore", "--yes");
        assertThat(restore.exitCode()).as(restore.output()).isZero();
        assertThat(restore.output()).contains("serves revision " + (highest + 1), revoked);
        for (ServiceNode r : replicas) {
            await(r.id + " serves the restored set", Duration.ofSeconds(60), quietly(() ->
                    r.jwksKids().contains(revoked) && !r.health().containsKey("rollbackRefused")));
            assertThat(((Number) r.health().get("storeRevision")).longValue()).isGreaterThanOrEqualTo(highest + 1);
            assertThat(r.metrics()).contains("issuer_keyset_rollback_refusing 0.0");
            await(r.id + " no longer degraded", Duration.ofSeconds(30), quietly(() ->
                    Boolean.FALSE.equals(r.ha().get("degraded"))));
        }
    }

    @Test
    @Order(4)
    void aRetiredKeyHasNoPrivateKeyInEtcdNorInAnyLocalCopy() throws Exception {
        // A rotation (the period is long, so the operator starts it) retires the restored key.
        var rotate = cli(work, "keys", "rotate");
        assertThat(rotate.exitCode()).as(rotate.output()).isZero();
        await(revoked + " RETIRED in etcd", Duration.ofSeconds(240), quietly(() ->
                "RETIRED".equals(keysetEntry(revoked).get("state"))));
        assertThat(keysetEntry(revoked).get("private")).isEqualTo(false);
        String privateKeys = etcd.etcdctl("get", PREFIX + "private/", "--prefix", "--keys-only");
        assertThat(privateKeys).doesNotContain(revoked).contains(PREFIX + "private/");
        byte[] rawKek = Base64.getDecoder().decode(Files.readString(kek).strip());
        for (ServiceNode r : replicas) {
            await(r.id + " serves the rotation", Duration.ofSeconds(60), quietly(() -> !signingKid(r).equals(revoked)));
            Path copy = r.dir.resolve("data/keyset.sealed");
            await(r.id + " local copy without the retired key's private half", Duration.ofSeconds(60), quietly(() -> {
                Map<String, Object> opened = openLocalCopy(copy, rawKek);
                return !JSONObjectUtils.getJSONObject(opened, "privateKeys").containsKey(revoked)
                        && JSONObjectUtils.getString(opened, "keyset").contains(revoked);
            }));
        }
    }

    /** Decrypts a replica's sealed local copy with Nimbus and the raw key, as an operator's tool would. */
    static Map<String, Object> openLocalCopy(Path copy, byte[] rawKek) throws Exception {
        JWEObject jwe = JWEObject.parse(Files.readString(copy));
        jwe.decrypt(new DirectDecrypter(rawKek));
        return JSONObjectUtils.parse(jwe.getPayload().toString());
    }

    @Test
    @Order(5)
    void keysResealMovesEtcdAndTheLocalCopiesToANewKeyEncryptionKey() throws Exception {
        Path newKek = TestData.keyEncryptionKey(work.resolve("kek-2"));
        String oldId = SealedKeyIds.of(etcdValue("keyset"));
        List<String> args = new ArrayList<>(List.of("keys", "reseal", "--new-encryption-key-file=" + newKek));
        for (ServiceNode r : replicas) {
            args.add("--local-copy=" + r.dir.resolve("data/keyset.sealed"));
        }
        // The leader may commit a rotation meanwhile; then the command changes nothing and says to run it again.
        var reseal = cli(work, args.toArray(String[]::new));
        for (int attempt = 0; attempt < 3 && reseal.output().contains("run the command again"); attempt++) {
            reseal = cli(work, args.toArray(String[]::new));
        }
        assertThat(reseal.exitCode()).as(reseal.output()).isZero();
        assertThat(reseal.output()).contains("etcd: re-sealed", "re-sealed under");
        String newId = SealedKeyIds.of(etcdValue("keyset"));
        assertThat(newId).isNotEqualTo(oldId);
        assertThat(SealedKeyIds.of(etcdValue("policy"))).isEqualTo(newId);
        for (String key : etcd.etcdctl("get", PREFIX + "private/", "--prefix", "--keys-only").strip().split("\\s+")) {
            assertThat(SealedKeyIds.of(etcd.etcdctl("get", key, "--print-value-only").strip())).isEqualTo(newId);
        }
        var again = cli(work, args.toArray(String[]::new));
        assertThat(again.output()).contains("etcd: every value is already sealed under key-encryption key " + newId);

        // Replicas still on the old key cannot read etcd any more, say so, and keep serving and signing what they had.
        for (ServiceNode r : replicas) {
            await(r.id + " reports the key it cannot use", Duration.ofSeconds(60), quietly(() ->
                    r.health().getOrDefault("storeReloadError", "").toString().contains("but the configured key is " + oldId)));
            assertThat(r.jwksKids()).contains(signingKid(r));
        }
        var oldKey = cli(work, "keys", "list");
        assertThat(oldKey.exitCode()).isEqualTo(1);
        assertThat(oldKey.output()).contains("but the configured key is " + oldId);

        // The documented procedure: restart every replica with the new key, one by one.
        for (ServiceNode r : replicas) {
            r.process.stop();
            startWithEtcd(r, newKek);
            await(r.id + " back on the new key", Duration.ofSeconds(60), quietly(() ->
                    Boolean.FALSE.equals(r.ha().get("degraded")) && !r.health().containsKey("storeReloadError")));
            assertThat(r.process.output()).contains("sealed with key-encryption key " + newId);
            signingKid(r);
        }
    }

    /** Directory store: an older keyset.json (and the revoked key's files) copied back into the key directory. */
    @Test
    @Order(6)
    void aDirectoryRolledBackAfterAnEmergencyRevocationIsRefusedAlsoAcrossARestart() throws Exception {
        ServiceNode node = new ServiceNode(work, "single");
        Path keys = node.dir.resolve("data/keys");
        try {
            startOnDirectory(node);
            String a = (String) node.health().get("activeKid");
            byte[] oldKeyset = Files.readAllBytes(keys.resolve("keyset.json"));
            byte[] oldKey = Files.readAllBytes(keys.resolve(a + ".key"));
            byte[] oldPub = Files.readAllBytes(keys.resolve(a + ".pub"));

            var revoke = JarProcess.run(node.dir, "keys", "rotate", "--emergency", "--revoke", a, "--yes");
            assertThat(revoke.exitCode()).as(revoke.output()).isZero();
            await("the revoked key is gone", Duration.ofSeconds(60), quietly(() -> !node.jwksKids().contains(a)));
            long revision = ((Number) node.health().get("storeRevision")).longValue();
            assertThat(Files.readString(keys.resolve(".revision")).strip()).isEqualTo(Long.toString(revision));

            // The attack: the old files copied back by another process.
            copyBack(keys, a, oldKey, oldPub, oldKeyset);
            await("the refused rollback reported", Duration.ofSeconds(60), quietly(() ->
                    node.health().containsKey("rollbackRefused")));
            assertThat(node.health().get("rollbackRefused").toString()).contains("data/keys was rolled back: it holds key-set revision 1, but revision " + revision + " was already served");
            assertThat(node.jwksKids()).doesNotContain(a);
            assertThat(signingKid(node)).isNotEqualTo(a);
            assertThat(node.metrics()).contains("issuer_keyset_rollbacks_refused_total 1.0",
                    "issuer_keyset_rollback_refusing 1.0");
            assertThat(node.process.output()).contains("rollback refused: the store holds key-set revision 1, below the"
                    + " high-water mark " + revision);
            var list = JarProcess.run(node.dir, "keys", "list");
            assertThat(list.exitCode()).isEqualTo(1);
            assertThat(list.output()).contains("was rolled back");

            // Across a restart: the .revision mark is still there, so the service refuses to start on the old set.
            node.process.stop();
            var refused = JarProcess.start(node.dir, common(node).toArray(String[]::new));
            assertThat(refused.awaitExit()).isNotZero();
            assertThat(refused.output()).contains("was rolled back: it holds key-set revision 1, but revision " + revision);
            refused.close();

            var restore = JarProcess.run(node.dir, "keys", "restore", "--yes");
            assertThat(restore.exitCode()).as(restore.output()).isZero();
            assertThat(restore.output()).contains("serves revision " + (revision + 1));
            startOnDirectory(node);
            assertThat(node.jwksKids()).contains(a);
            assertThat(node.health()).doesNotContainKey("rollbackRefused");

            // A rotation retires the restored key, and on retirement its private key file goes.
            var rotate = JarProcess.run(node.dir, "keys", "rotate");
            assertThat(rotate.exitCode()).as(rotate.output()).isZero();
            await(a + " RETIRED", Duration.ofSeconds(240), quietly(() ->
                    Files.readString(keys.resolve("keyset.json")).contains("\"kid\":\"" + a + "\",\"alg\":\"RS256\",\"state\":\"RETIRED\"")));
            String metadata = Files.readString(keys.resolve("keyset.json"));
            assertThat(metadata).contains("\"kid\":\"" + a + "\",\"alg\":\"RS256\",\"state\":\"RETIRED\",\"private\":false");
            assertThat(keys.resolve(a + ".key")).doesNotExist();
            assertThat(keys.resolve(a + ".pub")).exists();
        } finally {
            node.close();
        }
    }

    /** Writes the saved files back with cp, a process other than the service. */
    static void copyBack(Path keys, String kid, byte[] key, byte[] pub, byte[] keyset) throws Exception {
        Path saved = Files.createTempDirectory(work, "saved");
        Files.write(saved.resolve(kid + ".key"), key);
        Files.write(saved.resolve(kid + ".pub"), pub);
        Files.write(saved.resolve("keyset.json"), keyset);
        for (String name : List.of(kid + ".key", kid + ".pub", "keyset.json")) {
            Process cp = new ProcessBuilder("cp", saved.resolve(name).toString(), keys.resolve(name).toString())
                    .redirectErrorStream(true).start();
            assertThat(cp.waitFor()).as(new String(cp.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        }
    }

    /** The key-encryption key id in the protected header of a sealed or authenticated value, read by hand. */
    static final class SealedKeyIds {
        static String of(String value) throws Exception {
            String header = new String(Base64.getUrlDecoder().decode(value.split("\\.")[0]), StandardCharsets.UTF_8);
            return JSONObjectUtils.getString(JSONObjectUtils.parse(header), "kid");
        }
    }
}
