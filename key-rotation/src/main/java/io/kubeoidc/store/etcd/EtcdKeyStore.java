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
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.sealing.SealedBoxException;
import io.kubeoidc.store.KeySetJson;
import io.kubeoidc.store.KeySetSource;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.KeyStoreException;
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
 *   <li>{@code private/KID}: each private key, sealed (AES-256-GCM) under the key-encryption key, bound to its slot.</li>
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

    /**
     * @param fence extra conditions every commit must meet (the leader's hold on its election key)
     */
    public EtcdKeyStore(EtcdConnection etcd, SealedBox box, Clock clock, Supplier<List<Cmp>> fence) {
        this.etcd = etcd;
        this.box = box;
        this.clock = clock;
        this.fence = fence;
    }

    @Override
    public String describe() {
        return etcd.describe();
    }

    static final String POLICY = "policy";

    @Override
    public void recordPolicy(io.kubeoidc.rotation.RotationPolicy policy) {
        etcd.call("record the policy", () -> etcd.client().getKVClient().put(etcd.key(POLICY),
                ByteSequence.from(io.kubeoidc.store.PolicyFile.encode(policy))));
    }

    @Override
    public java.util.Optional<io.kubeoidc.rotation.RotationPolicy> recordedPolicy() {
        GetResponse r = etcd.call("read the policy", () -> etcd.client().getKVClient().get(etcd.key(POLICY)));
        if (r.getKvs().isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(io.kubeoidc.store.PolicyFile.decode(r.getKvs().get(0).getValue().getBytes()));
        } catch (java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException(describe() + ": " + POLICY + " is unreadable: " + e.getMessage(), e);
        }
    }

    /** Calls {@code onChange} on every commit to the key set (from jetcd's thread; keep it short). */
    public io.etcd.jetcd.Watch.Watcher watch(Runnable onChange, java.util.function.Consumer<Throwable> onError) {
        return etcd.client().getWatchClient().watch(etcd.key(KEYSET), io.etcd.jetcd.options.WatchOption.DEFAULT,
                io.etcd.jetcd.Watch.listener(response -> onChange.run(), onError));
    }

    /** A consistent read: the metadata and the sealed private keys at one etcd revision. */
    @Override
    public StoredKeys load() {
        Snapshot s = read();
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
        return box.authenticate(KeySetJson.encodeSelfContained(set), etcd.settings().prefix() + KEYSET);
    }

    @Override
    public StoredKeys commit(long baseRevision, KeySet next, Collection<SigningKey> newKeys) {
        Snapshot current = read();
        KeySet stored = current.keys.keySet();
        if (stored.revision() != baseRevision) {
            throw new StaleKeySetException(describe() + " changed while this change was prepared (revision "
                    + baseRevision + ", now " + stored.revision() + "); reload and try again");
        }
        Map<String, SigningKey> signing = new HashMap<>(current.keys.signingKeys());
        newKeys.forEach(k -> signing.put(k.kid(), k));
        List<Op> ops = new ArrayList<>();
        Set<String> keep = new java.util.HashSet<>();
        for (ManagedKey k : next.keys()) {
            if (!k.hasPrivateKey()) {
                continue;
            }
            SigningKey priv = signing.get(k.kid());
            if (priv == null) {
                throw new KeyStoreException(describe() + ": key " + k.kid()
                        + " needs its private key, which was neither given nor stored");
            }
            keep.add(k.kid());
            if (!current.keys.signingKeys().containsKey(k.kid())) {
                String slot = etcd.settings().prefix() + PRIVATE + k.kid();
                ops.add(Op.put(etcd.key(PRIVATE + k.kid()), ByteSequence.from(box.seal(PemKeyWriter.privateKey(priv), slot)),
                        PutOption.DEFAULT));
            }
        }
        for (String kid : current.keys.signingKeys().keySet()) {
            if (!keep.contains(kid)) {
                ops.add(Op.delete(etcd.key(PRIVATE + kid), DeleteOption.DEFAULT));
            }
        }
        KeySet committed = next.committedOver(stored, clock.instant());
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
        Map<String, SigningKey> committedSigning = signing.entrySet().stream().filter(e -> keep.contains(e.getKey()))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        return new StoredKeys(committed, committedSigning);
    }

    private record Snapshot(StoredKeys keys, long modRevision) {}

    private Snapshot read() {
        TxnResponse r = etcd.call("read the key set", () -> etcd.client().getKVClient().txn().Then(
                Op.get(etcd.key(KEYSET), GetOption.DEFAULT),
                Op.get(etcd.key(PRIVATE), GetOption.builder().isPrefix(true).build())).commit());
        List<KeyValue> meta = r.getGetResponses().get(0).getKvs();
        if (meta.isEmpty()) {
            return new Snapshot(StoredKeys.EMPTY, 0);
        }
        KeyValue kv = meta.get(0);
        KeySet set;
        try {
            set = KeySetJson.decodeSelfContained(box.verify(kv.getValue().getBytes(), etcd.settings().prefix() + KEYSET));
        } catch (SealedBoxException e) {
            throw new KeyStoreException(describe() + ": " + e.getMessage(), e);
        } catch (KeyStoreException e) {
            throw e;
        } catch (java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException(describe() + ": " + KEYSET + " is invalid: " + e.getMessage(), e);
        }
        Map<String, byte[]> sealed = new HashMap<>();
        for (KeyValue p : r.getGetResponses().get(1).getKvs()) {
            String name = p.getKey().toString(StandardCharsets.UTF_8);
            sealed.put(name.substring(name.lastIndexOf('/') + 1), p.getValue().getBytes());
        }
        Map<String, SigningKey> signing = new HashMap<>();
        for (ManagedKey k : set.keys()) {
            if (k.hasPrivateKey()) {
                signing.put(k.kid(), privateKey(k.kid(), sealed.get(k.kid())));
            }
        }
        return new Snapshot(new StoredKeys(set, signing), kv.getModRevision());
    }

    private SigningKey privateKey(String kid, byte[] sealed) {
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
