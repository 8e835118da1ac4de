package io.kubeoidc.keyset;

import io.kubeoidc.keys.VerificationKey;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The published keys in publication order, with their states. Immutable; every change yields a
 * new set. {@code revision} counts committed changes and lets a store refuse a stale write.
 *
 * @param keysChangedAt when the published list of kids last changed (set by the store on commit, null
 *                      before); the external signer's data_timestamp, which kube-apiserver compares
 * @param change        the operator's command and reason when this revision was committed by hand (the CLI),
 *                      null for the service's own steps (their audit lines say why) and in older stores
 */
public record KeySet(long revision, List<ManagedKey> keys, Instant keysChangedAt, ChangeNote change) {

    public static final KeySet EMPTY = new KeySet(0, List.of());

    /** A proposed set; the store stamps {@code keysChangedAt} when it commits it. */
    public KeySet(long revision, List<ManagedKey> keys) {
        this(revision, keys, null, null);
    }

    public KeySet(long revision, List<ManagedKey> keys, Instant keysChangedAt) {
        this(revision, keys, keysChangedAt, null);
    }

    /** This set, recorded as the operator's change. */
    public KeySet withChange(ChangeNote note) {
        return new KeySet(revision, keys, keysChangedAt, note);
    }

    public KeySet {
        keys = List.copyOf(keys);
        Set<String> kids = new HashSet<>();
        int active = 0;
        for (ManagedKey k : keys) {
            if (!kids.add(k.kid())) {
                throw new IllegalArgumentException("duplicate kid " + k.kid() + " in key set");
            }
            if (k.state() == KeyState.ACTIVE) {
                active++;
            }
        }
        if (active > 1) {
            throw new IllegalArgumentException("key set has " + active + " ACTIVE keys; exactly one may sign");
        }
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    public Optional<ManagedKey> active() {
        return keys.stream().filter(k -> k.state() == KeyState.ACTIVE).findFirst();
    }

    public Optional<ManagedKey> find(String kid) {
        return keys.stream().filter(k -> k.kid().equals(kid)).findFirst();
    }

    /**
     * FetchKeys' data_timestamp: when the published list last changed, or for a store written before that was
     * recorded, the newest key's creation (derived from stored data, so every restart and replica agrees).
     */
    public Instant dataTimestamp() {
        if (keysChangedAt != null) {
            return keysChangedAt;
        }
        return keys.stream().map(ManagedKey::created).max(Instant::compareTo).orElse(null);
    }

    /**
     * This set as a store commits it over {@code stored}: the next revision, data_timestamp moved exactly when
     * the published list of kids changes, and no private key kept for a key that can never sign again.
     */
    public KeySet committedOver(KeySet stored, Instant now) {
        Instant changedAt = stored.kids().equals(kids()) && stored.keysChangedAt() != null ? stored.keysChangedAt() : now;
        return new KeySet(stored.revision() + 1, keys.stream().map(ManagedKey::withoutSpentPrivateKey).toList(), changedAt,
                change);
    }

    /**
     * This set re-committed at {@code revision} (above anything served before): the operator's deliberate
     * return to a restored backup. data_timestamp moves, since replicas served another list until now.
     */
    public KeySet restoredAt(long revision, Instant now) {
        return new KeySet(revision, keys.stream().map(ManagedKey::withoutSpentPrivateKey).toList(), now);
    }

    public List<String> kids() {
        return keys.stream().map(ManagedKey::kid).toList();
    }

    /** What goes into the JWKS, in order. */
    public List<VerificationKey> published() {
        return keys.stream().map(ManagedKey::key).toList();
    }
}
