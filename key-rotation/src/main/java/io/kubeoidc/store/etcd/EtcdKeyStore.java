package io.kubeoidc.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.kubeoidc.custody.FilesCustody;
import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.sealing.SealedBoxException;
import io.kubeoidc.store.CustodyMaterial;
import io.kubeoidc.store.KeySetJson;
import io.kubeoidc.store.KeySetSource;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.KeyStoreException;
import io.kubeoidc.store.RevisionFloor;
import io.kubeoidc.store.RolledBackKeySetException;
import io.kubeoidc.store.StaleKeySetException;
import io.kubeoidc.store.StoredKeyPem;
import io.kubeoidc.store.StoredKeys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The key set in etcd, for control planes with several replicas. Under the prefix:
 * <ul>
 *   <li>{@code keyset}: the metadata JSON with the public keys embedded (what every replica serves);</li>
 *   <li>{@code private/KID}: each private key that can sign, sealed (AES-256-GCM) under the key-encryption key, bound
 *   to its slot; only when the custody keeps private keys in the store ({@code files}).</li>
 * </ul>
 * A commit is one transaction conditioned on the {@code keyset} mod revision it read (and, for the
 * rotation leader, on still holding the leader key), so of two writers starting from the same revision
 * exactly one wins; the other gets {@link StaleKeySetException}, reloads and plans again.
 */
public final class EtcdKeyStore implements KeyStore, KeySetSource {
    static final String KEYSET = "keyset";
    static final String PRIVATE = "private/";

    private final EtcdConnection etcd;
    private final SealedBox box;
    private final Clock clock;
    private final Supplier<List<Cmp>> fence;
    private final RevisionFloor floor;
    private final KeyCustody custody;

    /**
     * @param fence extra conditions every commit must meet (the leader's hold on its election key)
     */
    public EtcdKeyStore(EtcdConnection etcd, SealedBox box, Clock clock, Supplier<List<Cmp>> fence) {
        this(etcd, box, clock, fence, RevisionFloor.NONE);
    }

    /**
     * @param floor the replica's revision high-water mark: a lower {@code keyset} revision is refused
     *              ({@link RolledBackKeySetException}) when loading and so when committing
     */
    public EtcdKeyStore(EtcdConnection etcd, SealedBox box, Clock clock, Supplier<List<Cmp>> fence, RevisionFloor floor) {
        this(etcd, box, clock, fence, floor, FilesCustody.INSTANCE);
    }

    public EtcdKeyStore(EtcdConnection etcd, SealedBox box, Clock clock, Supplier<List<Cmp>> fence, RevisionFloor floor,
                        KeyCustody custody) {
        this.etcd = etcd;
        this.box = box;
        this.clock = clock;
        this.fence = fence;
        this.floor = floor;
        this.custody = java.util.Objects.requireNonNull(custody, "custody");
    }

    @Override
    public KeyCustody custody() {
        return custody;
    }

    @Override
    public String describe() {
        return etcd.describe();
    }

    /** The etcd key that holds the sealed private half of {@code kid} (while it can sign). */
    public String privateKeySlot(String kid) {
        return etcd.settings().prefix() + PRIVATE + kid;
    }

    static final String POLICY = "policy";

    /** Authenticated like the key set: the CLI generates keys with its algorithm, so nobody without the key may set it. */
    @Override
    public void recordPolicy(io.kubeoidc.rotation.RotationPolicy policy) {
        etcd.call("record the policy", () -> etcd.client().getKVClient().put(etcd.key(POLICY),
                ByteSequence.from(box.authenticate(io.kubeoidc.store.PolicyFile.encode(policy), policySlot()))));
    }

    private String policySlot() {
        return etcd.settings().prefix() + POLICY;
    }

    @Override
    public java.util.Optional<io.kubeoidc.rotation.RotationPolicy> recordedPolicy() {
        GetResponse r = etcd.call("read the policy", () -> etcd.client().getKVClient().get(etcd.key(POLICY)));
        if (r.getKvs().isEmpty()) {
            return java.util.Optional.empty();
        }
        byte[] payload;
        try {
            payload = box.verify(r.getKvs().get(0).getValue().getBytes(), policySlot());
        } catch (SealedBoxException e) {
            throw new KeyStoreException(describe() + ": refusing the recorded policy: " + e.getMessage()
                    + " (a running replica records it again at start)", e);
        }
        try {
            return java.util.Optional.of(io.kubeoidc.store.PolicyFile.decode(payload));
        } catch (java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException(describe() + ": " + POLICY + " is unreadable: " + e.getMessage(), e);
        }
    }

    /** Calls {@code onChange} on every commit to the key set (from jetcd's thread; keep it short). */
    public io.etcd.jetcd.Watch.Watcher watch(Runnable onChange, java.util.function.Consumer<Throwable> onError) {
        return etcd.client().getWatchClient().watch(etcd.key(KEYSET), io.etcd.jetcd.options.WatchOption.DEFAULT,
                io.etcd.jetcd.Watch.listener(response -> onChange.run(), onError));
    }

    /** A consistent read: the metadata and the sealed private keys at one etcd revision; never below the floor. */
    @Override
    public StoredKeys load() {
        Snapshot s = read(true);
        return s.keys;
    }

    /** A digest of the stored metadata: equal on every replica that sees the same set. */
    @Override
    public String version() {
        GetResponse r = etcd.call("read the key set", () -> etcd.client().getKVClient().get(etcd.key(KEYSET)));
        return r.getKvs().isEmpty() ? versionOfBytes(null) : versionOfBytes(r.getKvs().get(0).getValue().getBytes());
    }

    @Override
    public String versionOf(KeySet committed) {
        return versionOfBytes(encode(committed));
    }

    /** The metadata as stored: readable JSON under an HS256 MAC, so nobody without the key-encryption key can add a key. */
    private byte[] encode(KeySet set) {
        return box.authenticate(KeySetJson.encodeSelfContained(set, custody.name()), etcd.settings().prefix() + KEYSET);
    }

    @Override
    public StoredKeys commit(long baseRevision, KeySet next, Collection<? extends KeyHandle> newKeys) {
        Snapshot current = read(true);
        KeySet stored = current.keys.keySet();
        if (stored.revision() != baseRevision) {
            throw new StaleKeySetException(describe() + " changed while this change was prepared (revision "
                    + baseRevision + ", now " + stored.revision() + "); reload and try again");
        }
        return commit(current, next.committedOver(stored, clock.instant()), newKeys);
    }

    /**
     * Re-commits the set etcd holds now (which replicas may be refusing as a rollback) at a revision above
     * {@code aboveRevision}; with the key-encryption key only, so only an operator can do it.
     */
    @Override
    public StoredKeys restore(long aboveRevision) {
        Snapshot current = read(false);
        KeySet stored = current.keys.keySet();
        if (stored.isEmpty()) {
            throw new KeyStoreException(describe() + " holds no key set to restore");
        }
        long target = Math.max(Math.max(stored.revision(), floor.floor()), aboveRevision) + 1;
        return commit(current, stored.restoredAt(target, clock.instant()), List.of());
    }

    /**
     * One transaction: the new private keys sealed, the private keys of every key that can no longer sign (and
     * any orphan) deleted, and the metadata, conditioned on the {@code keyset} mod revision that was read.
     */
    private StoredKeys commit(Snapshot current, KeySet committed, Collection<? extends KeyHandle> newKeys) {
        Map<String, KeyHandle> signing = new HashMap<>(current.keys.signingKeys());
        newKeys.forEach(k -> signing.put(k.kid(), k));
        List<Op> ops = new ArrayList<>();
        Set<String> keep = new java.util.HashSet<>();
        for (ManagedKey k : committed.keys()) {
            if (!k.hasPrivateKey()) {
                continue;
            }
            KeyHandle handle = signing.get(k.kid());
            if (handle == null) {
                throw new KeyStoreException(describe() + ": key " + k.kid()
                        + " needs its private key, which was neither given nor stored");
            }
            keep.add(k.kid());
            if (!current.keys.signingKeys().containsKey(k.kid())) {
                String slot = privateKeySlot(k.kid());
                CustodyMaterial.toStore(custody, handle, describe()).ifPresent(priv -> ops.add(Op.put(
                        etcd.key(PRIVATE + k.kid()), ByteSequence.from(box.seal(PemKeyWriter.privateKey(priv), slot)),
                        PutOption.DEFAULT)));
            }
        }
        for (String kid : current.privateEntries) {
            if (!keep.contains(kid) || !custody.keepsPrivateKeysInStore()) {
                ops.add(Op.delete(etcd.key(PRIVATE + kid), DeleteOption.DEFAULT));
            }
        }
        ops.add(Op.put(etcd.key(KEYSET), ByteSequence.from(encode(committed)), PutOption.DEFAULT));
        List<Cmp> conditions = new ArrayList<>(fence.get());
        conditions.add(new Cmp(etcd.key(KEYSET), Cmp.Op.EQUAL, CmpTarget.modRevision(current.modRevision)));
        TxnResponse r = etcd.call("commit revision " + committed.revision(), () -> etcd.client().getKVClient().txn()
                .If(conditions.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).commit());
        if (!r.isSucceeded()) {
            throw new StaleKeySetException(describe() + ": commit of revision " + committed.revision() + " lost: the key"
                    + " set changed since etcd revision " + current.modRevision + (conditions.size() > 1
                    ? ", or this replica no longer holds the leader key" : "") + "; reload and try again");
        }
        Map<String, KeyHandle> committedSigning = signing.entrySet().stream().filter(e -> keep.contains(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        CustodyMaterial.destroySpent(custody, current.keys.keySet(), newKeys, committed);
        return new StoredKeys(committed, committedSigning);
    }

    /**
     * Re-seals every value under the prefix ({@code keyset}, {@code private/*}, {@code policy}) under the
     * key-encryption key of {@code to}, in one transaction conditioned on each value read, so a crash or a
     * concurrent commit leaves all of them under one key or the other. Values already under {@code to} are left
     * as they are, so running it again after a failure finishes the job.
     *
     * @return how many values were re-sealed (0: everything was already under the new key)
     */
    public int reseal(SealedBox to) {
        TxnResponse r = etcd.call("read the values to re-seal", () -> etcd.client().getKVClient().txn().Then(
                Op.get(etcd.key(KEYSET), GetOption.DEFAULT),
                Op.get(etcd.key(PRIVATE), GetOption.builder().isPrefix(true).build()),
                Op.get(etcd.key(POLICY), GetOption.DEFAULT)).commit());
        List<KeyValue> values = new ArrayList<>();
        r.getGetResponses().forEach(g -> values.addAll(g.getKvs()));
        List<Op> ops = new ArrayList<>();
        List<Cmp> conditions = new ArrayList<>();
        String prefix = etcd.settings().prefix();
        for (KeyValue kv : values) {
            byte[] value = kv.getValue().getBytes();
            if (to.keyId().equals(SealedBox.keyIdOf(value))) {
                continue;
            }
            String slot = kv.getKey().toString(StandardCharsets.UTF_8);
            String name = slot.substring(prefix.length());
            byte[] resealed;
            try {
                if (name.startsWith(PRIVATE)) {
                    byte[] pem = box.open(value, slot);
                    try {
                        resealed = to.seal(pem, slot);
                    } finally {
                        java.util.Arrays.fill(pem, (byte) 0);
                    }
                } else {
                    resealed = to.authenticate(box.verify(value, slot), slot);
                }
            } catch (SealedBoxException e) {
                throw new KeyStoreException(describe() + ": cannot re-seal: " + e.getMessage(), e);
            }
            conditions.add(new Cmp(kv.getKey(), Cmp.Op.EQUAL, CmpTarget.modRevision(kv.getModRevision())));
            ops.add(Op.put(kv.getKey(), ByteSequence.from(resealed), PutOption.DEFAULT));
        }
        if (ops.isEmpty()) {
            return 0;
        }
        TxnResponse done = etcd.call("re-seal " + ops.size() + " values", () -> etcd.client().getKVClient().txn()
                .If(conditions.toArray(Cmp[]::new)).Then(ops.toArray(Op[]::new)).commit());
        if (!done.isSucceeded()) {
            throw new StaleKeySetException(describe() + ": the key set changed while it was re-sealed; nothing was"
                    + " changed, run the command again");
        }
        return ops.size();
    }

    /** @param privateEntries the kids under {@code private/}, whether or not the metadata still names them */
    private record Snapshot(StoredKeys keys, long modRevision, Set<String> privateEntries) {}

    private Snapshot read(boolean refuseRollback) {
        // The floor first: it only rises to revisions read from etcd, so a commit meanwhile cannot look like a rollback.
        long highWater = floor.floor();
        TxnResponse r = etcd.call("read the key set", () -> etcd.client().getKVClient().txn().Then(
                Op.get(etcd.key(KEYSET), GetOption.DEFAULT),
                Op.get(etcd.key(PRIVATE), GetOption.builder().isPrefix(true).build())).commit());
        List<KeyValue> meta = r.getGetResponses().get(0).getKvs();
        if (meta.isEmpty()) {
            return new Snapshot(StoredKeys.EMPTY, 0, Set.of());
        }
        KeyValue kv = meta.get(0);
        KeySet set;
        try {
            byte[] metadata = box.verify(kv.getValue().getBytes(), etcd.settings().prefix() + KEYSET);
            CustodyMaterial.requireWrittenBy(custody, KeySetJson.custody(metadata), describe());
            set = KeySetJson.decodeSelfContained(metadata);
        } catch (SealedBoxException e) {
            throw new KeyStoreException(describe() + ": " + e.getMessage(), e);
        } catch (KeyStoreException e) {
            throw e;
        } catch (java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException(describe() + ": " + KEYSET + " is invalid: " + e.getMessage(), e);
        }
        if (refuseRollback && set.revision() < highWater) {
            throw new RolledBackKeySetException(describe(), set.revision(), highWater);
        }
        Map<String, byte[]> sealed = new HashMap<>();
        for (KeyValue p : r.getGetResponses().get(1).getKvs()) {
            String name = p.getKey().toString(StandardCharsets.UTF_8);
            sealed.put(name.substring(name.lastIndexOf('/') + 1), p.getValue().getBytes());
        }
        Map<String, KeyHandle> signing = new HashMap<>();
        for (ManagedKey k : set.keys()) {
            if (k.hasPrivateKey()) {
                var stored = custody.keepsPrivateKeysInStore()
                        ? java.util.Optional.of(privateKey(k.kid(), sealed.get(k.kid())).privateKey())
                        : java.util.Optional.<java.security.PrivateKey>empty();
                signing.put(k.kid(), CustodyMaterial.open(custody, k.key(), stored, describe()));
            }
        }
        return new Snapshot(new StoredKeys(set, signing), kv.getModRevision(), Set.copyOf(sealed.keySet()));
    }

    private io.kubeoidc.keys.SigningKey privateKey(String kid, byte[] sealed) {
        String slot = etcd.settings().prefix() + PRIVATE + kid;
        if (sealed == null) {
            throw new KeyStoreException(describe() + " is inconsistent: " + KEYSET + " lists the private key of " + kid
                    + " but " + slot + " is missing");
        }
        byte[] pem;
        try {
            pem = box.open(sealed, slot);
        } catch (SealedBoxException e) {
            throw new KeyStoreException(describe() + ": " + e.getMessage(), e);
        }
        try {
            return StoredKeyPem.expect(describe(), PemKeyReader.read(slot, pem), kid, true).signingKey().orElseThrow();
        } finally {
            java.util.Arrays.fill(pem, (byte) 0);
        }
    }

    private static String versionOfBytes(byte[] metadata) {
        if (metadata == null) {
            return "empty";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(metadata), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
