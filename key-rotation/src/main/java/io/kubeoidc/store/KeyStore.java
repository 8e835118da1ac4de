package io.kubeoidc.store;

import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import java.util.Collection;

/**
 * Durable home of the key set and its private keys. Implementations: a directory (default); a
 * distributed store (etcd) fits the same contract: load, then commit conditioned on the revision
 * that was loaded, so two writers can never both win.
 */
public interface KeyStore {

    /** The current key set, or {@link StoredKeys#EMPTY} for a new store. */
    StoredKeys load();

    /**
     * Atomically replaces the key set.
     *
     * @param baseRevision the revision {@code next} was derived from; a different stored revision
     *                     fails with {@link StaleKeySetException} and changes nothing
     * @param newKeys      private keys that {@code next} introduces (the store keeps them secret)
     * @return the committed state, at revision {@code baseRevision + 1}
     */
    StoredKeys commit(long baseRevision, KeySet next, Collection<SigningKey> newKeys);

    /**
     * Re-commits the key set the store holds now, unchanged except that keys which can no longer sign lose
     * their private half, at a revision above {@code aboveRevision} and above any revision this store has
     * recorded: the deliberate return to a restored backup, which replicas would otherwise refuse as a rollback.
     */
    StoredKeys restore(long aboveRevision);

    /** Where the store lives, for messages. */
    String describe();

    /** Keeps the policy the service runs with next to the keys, for the CLI (informational). */
    void recordPolicy(io.kubeoidc.rotation.RotationPolicy policy);

    /** The policy the service last recorded, if any. */
    java.util.Optional<io.kubeoidc.rotation.RotationPolicy> recordedPolicy();
}
