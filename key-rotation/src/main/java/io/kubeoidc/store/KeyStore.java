package io.kubeoidc.store;

import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import java.util.Collection;

/**
 * Durable home of the key set: metadata and public keys, and the private keys when its {@link KeyCustody} keeps them
 * in the store. Implementations: a directory (default); a distributed store (etcd) fits the same contract: load,
 * then commit conditioned on the revision that was loaded, so two writers can never both win.
 */
public interface KeyStore {

    /** The current key set, or {@link StoredKeys#EMPTY} for a new store. */
    StoredKeys load();

    /**
     * Atomically replaces the key set.
     *
     * @param baseRevision the revision {@code next} was derived from; a different stored revision
     *                     fails with {@link StaleKeySetException} and changes nothing
     * @param newKeys      handles of the keys that {@code next} introduces, from this store's custody (the store keeps
     *                     their private keys secret when the custody keeps them in the store)
     * @return the committed state, at revision {@code baseRevision + 1}; the custody has been asked to destroy the
     *         private halves of keys that can no longer sign
     */
    StoredKeys commit(long baseRevision, KeySet next, Collection<? extends KeyHandle> newKeys);

    /**
     * Re-commits the key set the store holds now, unchanged except that keys which can no longer sign lose
     * their private half, at a revision above {@code aboveRevision} and above any revision this store has
     * recorded: the deliberate return to a restored backup, which replicas would otherwise refuse as a rollback.
     */
    StoredKeys restore(long aboveRevision);

    /** Who holds the private keys of this store's key set. */
    KeyCustody custody();

    /** Where the store lives, for messages. */
    String describe();

    /** Keeps the policy the service runs with next to the keys, for the CLI (informational). */
    void recordPolicy(io.kubeoidc.rotation.RotationPolicy policy);

    /** The policy the service last recorded, if any. */
    java.util.Optional<io.kubeoidc.rotation.RotationPolicy> recordedPolicy();
}
