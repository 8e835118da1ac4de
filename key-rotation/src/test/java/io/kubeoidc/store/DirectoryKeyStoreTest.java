package io.kubeoidc.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.Vectors;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keyset.KeyImport;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeySetChange;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.PemKeyReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryKeyStoreTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");

    @TempDir
    Path dir;

    private KeySetChange importUpstream(KeySet current) {
        return KeyImport.plan(current, List.of(
                PemKeyReader.readFile(Vectors.path("vectors/k8s-serviceaccount-testkeys/rsa-2048-private.pkcs1.pem")),
                PemKeyReader.readFile(Vectors.path("vectors/k8s-serviceaccount-testkeys/rsa-2048-public.pem")),
                PemKeyReader.readFile(Vectors.path("vectors/k8s-serviceaccount-testkeys/ecdsa-p256-public.pem"))),
                false, false, NOW);
    }

    @Test
    void aRetiredKeyLosesItsPrivateFileAndAnOlderKeySetWrittenBackIsRefusedUntilRestored() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        KeySet first = store.commit(0, change.next(), change.newKeys()).keySet();
        ManagedKey active = first.active().orElseThrow();
        Path keyFile = dir.resolve(active.kid() + ".key");
        byte[] oldMetadata = Files.readAllBytes(dir.resolve("keyset.json"));
        byte[] oldKey = Files.readAllBytes(keyFile);

        List<ManagedKey> keys = new java.util.ArrayList<>(first.keys());
        keys.set(keys.indexOf(active), active.withState(KeyState.RETIRED, NOW));
        KeySet retired = store.commit(1, new KeySet(1, keys), List.of()).keySet();
        assertThat(retired.find(active.kid()).orElseThrow().hasPrivateKey()).isFalse();
        assertThat(keyFile).doesNotExist();
        assertThat(Files.readString(dir.resolve("keyset.json"))).contains("\"state\":\"RETIRED\",\"private\":false");
        assertThat(Files.readString(dir.resolve(".revision"))).isEqualTo("2\n");

        Files.write(keyFile, oldKey);
        Files.write(dir.resolve("keyset.json"), oldMetadata);
        for (DirectoryKeyStore s : List.of(store, new DirectoryKeyStore(dir))) {
            assertThatThrownBy(s::load).isInstanceOf(RolledBackKeySetException.class).hasMessage("key store " + dir
                    + " was rolled back: it holds key-set revision 1, but revision 2 was already served here; refusing"
                    + " to go back (a revoked key could sign again). To return to a backup on purpose, run `keys restore`"
                    + " (docs/keys.md)");
            assertThatThrownBy(() -> s.commit(1, first, List.of())).isInstanceOf(RolledBackKeySetException.class);
        }

        KeySet restored = store.restore(0).keySet();
        assertThat(restored.revision()).isEqualTo(3);
        assertThat(restored.active().orElseThrow().kid()).isEqualTo(active.kid());
        assertThat(new DirectoryKeyStore(dir).load().activeSigningKey()).isPresent();
    }

    @Test
    void newStoreIsEmpty() {
        assertThat(new DirectoryKeyStore(dir.resolve("absent")).load().keySet().isEmpty()).isTrue();
    }

    @Test
    void commitAndLoadRoundTrip() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        StoredKeys stored = store.commit(0, change.next(), change.newKeys());

        StoredKeys loaded = new DirectoryKeyStore(dir).load();
        assertThat(loaded.keySet()).isEqualTo(stored.keySet());
        assertThat(loaded.keySet().revision()).isEqualTo(1);
        assertThat(loaded.keySet().keys()).extracting(ManagedKey::kid, ManagedKey::state).containsExactly(
                org.assertj.core.groups.Tuple.tuple("JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU", KeyState.ACTIVE),
                org.assertj.core.groups.Tuple.tuple("SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc", KeyState.VERIFY_ONLY));
        assertThat(loaded.activeSigningKey().orElseThrow().storableKey().orElseThrow())
                .isEqualTo(change.newKeys().get(0).privateKey());
        assertThat(loaded.keySet().active().orElseThrow().gateBypass()).contains("imported as the signing key");
        Path keyFile = dir.resolve("JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(dir.resolve("SoABiieYuNx4UdqYvZRVeuC6SihxgLrhLy9peHMHpTc.key")).doesNotExist();
        assertThat(Files.readString(dir.resolve("keyset.json"))).doesNotContain("PRIVATE");
    }

    @Test
    void staleRevisionIsRefusedAndChangesNothing() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange first = importUpstream(KeySet.EMPTY);
        store.commit(0, first.next(), first.newKeys());
        byte[] before = Files.readAllBytes(dir.resolve("keyset.json"));

        var other = io.kubeoidc.rotation.RotationPlanner.plan(KeySet.EMPTY,
                io.kubeoidc.rotation.RotationPolicy.defaults(Duration.ofHours(1)),
                new io.kubeoidc.rotation.GateStatus(java.util.Map.of()), NOW,
                spec -> io.kubeoidc.keys.SigningKey.generate(KeySpec.EC_P256, new SecureRandom()));
        assertThatThrownBy(() -> store.commit(0, other.next(), other.newKeys()))
                .isInstanceOf(StaleKeySetException.class)
                .hasMessageContaining("revision 0, now 1");
        assertThat(Files.readAllBytes(dir.resolve("keyset.json"))).isEqualTo(before);
        assertThat(dir.resolve(other.newKeys().get(0).kid() + ".key")).doesNotExist();
    }

    @Test
    void aSecondWriterInAnotherProcessGetsAClearMessage() throws Exception {
        Files.createDirectories(dir);
        Path lockFile = dir.resolve(".lock");
        Files.writeString(lockFile, "");
        // A POSIX (fcntl) lock from a process we did not write: Python's fcntl.lockf.
        Process holder = new ProcessBuilder("/usr/bin/python3", "-c",
                "import fcntl,sys,time\nf=open(sys.argv[1],'r+')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(60)",
                lockFile.toString()).redirectErrorStream(true).start();
        try {
            var line = new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine();
            assertThat(line).isEqualTo("locked");
            var store = new DirectoryKeyStore(dir, Duration.ofMillis(300));
            KeySetChange change = importUpstream(KeySet.EMPTY);
            assertThatThrownBy(() -> store.commit(0, change.next(), change.newKeys()))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining("is locked by another writer");
            assertThat(dir.resolve("keyset.json")).doesNotExist();
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // Once the other writer is gone, the write goes through.
        KeySetChange change = importUpstream(KeySet.EMPTY);
        assertThat(new DirectoryKeyStore(dir).commit(0, change.next(), change.newKeys()).keySet().revision()).isEqualTo(1);
    }

    @Test
    void missingKeyFileIsReportedWithItsKid() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        store.commit(0, change.next(), change.newKeys());
        Files.delete(dir.resolve("JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU.key"));
        assertThatThrownBy(store::load).isInstanceOf(KeyStoreException.class)
                .hasMessageContaining("lists key JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU")
                .hasMessageContaining(".key is missing");
    }

    @Test
    void filesOfRemovedKeysAndCrashOrphansAreDeletedOnCommit() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        StoredKeys stored = store.commit(0, change.next(), change.newKeys());
        Files.writeString(dir.resolve("orphan.key"), "left by a crash before the metadata was written");
        KeySet withoutEc = new KeySet(stored.keySet().revision(), List.of(stored.keySet().keys().get(0)));
        store.commit(1, withoutEc, List.of());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")))
                    .containsExactlyInAnyOrder("keyset.json", "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU.key",
                            "JHJehTTTZlsspKHT-GaJxK7Kd1NQgZJu3fyK6K_QDYU.pub");
        }
    }

    @Test
    void corruptMetadataNamesTheFile() throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("keyset.json"), "{not json");
        assertThatThrownBy(() -> new DirectoryKeyStore(dir).load()).hasMessageContaining("keyset.json is invalid");
    }

    @Test
    void dataTimestampMovesOnlyWhenThePublishedKidsChange() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        KeySet first = store.commit(0, change.next(), change.newKeys()).keySet();
        assertThat(first.dataTimestamp()).isNotNull();
        Thread.sleep(5);
        // Same kids, another state change: the timestamp stays (kube-apiserver must not see a change).
        var keys = new java.util.ArrayList<>(first.keys());
        keys.set(1, keys.get(1).withRemoveAt(NOW.plusSeconds(3600)));
        KeySet second = store.commit(1, new KeySet(1, keys), List.of()).keySet();
        assertThat(second.dataTimestamp()).isEqualTo(first.dataTimestamp());
        // One key fewer: it moves.
        KeySet third = store.commit(2, new KeySet(2, List.of(second.keys().get(0))), List.of()).keySet();
        assertThat(third.dataTimestamp()).isAfter(first.dataTimestamp());
        // A store written before the timestamp was recorded still answers, from its keys' creation times.
        assertThat(new KeySet(3, third.keys()).dataTimestamp()).isEqualTo(third.keys().get(0).created());
    }

    @Test
    void anOperatorsCommandAndReasonAreStoredWithTheirCommitOnly() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        var note = new io.kubeoidc.keyset.ChangeNote("keys import sa.key", "moving off kubeadm", "root");
        StoredKeys first = store.commit(0, change.next().withChange(note), change.newKeys());
        assertThat(new DirectoryKeyStore(dir).load().keySet().change()).isEqualTo(note);
        assertThat(Files.readString(dir.resolve("keyset.json")))
                .contains("\"change\":{\"command\":\"keys import sa.key\",\"reason\":\"moving off kubeadm\",\"user\":\"root\"}");
        // The next commit (the service's own step) carries none: the note is not inherited.
        store.commit(1, new KeySet(1, first.keySet().keys()), List.of());
        assertThat(new DirectoryKeyStore(dir).load().keySet().change()).isNull();
    }

    @Test
    void aKeySetJsonWrittenBeforeChangeNotesStillLoads() throws Exception {
        var store = new DirectoryKeyStore(dir);
        KeySetChange change = importUpstream(KeySet.EMPTY);
        store.commit(0, change.next(), change.newKeys());
        String json = Files.readString(dir.resolve("keyset.json"));
        assertThat(json).doesNotContain("\"change\"");
        KeySet loaded = new DirectoryKeyStore(dir).load().keySet();
        assertThat(loaded.change()).isNull();
        assertThat(loaded.keys()).hasSize(2);
    }
}
