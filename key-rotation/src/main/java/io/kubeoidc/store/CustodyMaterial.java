package io.kubeoidc.store;

import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyCustodyException;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import java.security.PrivateKey;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What every store (directory, etcd, the sealed local copy) does with a key's private half under its custody:
 * persist it only when the custody keeps it in the store, hand it back through the custody, and after a commit
 * have the custody destroy the halves of keys that can no longer sign.
 */
public final class CustodyMaterial {
    private CustodyMaterial() {}

    /**
     * The private key to persist for a key the store has not held before, or empty when the custody keeps it elsewhere.
     *
     * @throws KeyStoreException naming {@code where} for a handle without its private key under a custody that needs it
     */
    public static Optional<SigningKey> toStore(KeyCustody custody, KeyHandle key, String where) {
        if (!custody.keepsPrivateKeysInStore()) {
            return Optional.empty();
        }
        PrivateKey priv = key.storableKey().orElseThrow(() -> new KeyStoreException(where + ": key " + key.kid()
                + " is held outside the store, but custody " + custody.name() + " keeps private keys in it"));
        return Optional.of(new SigningKey(key.verificationKey(), priv));
    }

    /**
     * The handle of a key the set lets sign.
     *
     * @param stored the private key the store read for it; must be present exactly when the custody keeps it there
     * @throws KeyStoreException naming {@code where} when the custody refuses what the store holds
     */
    public static KeyHandle open(KeyCustody custody, VerificationKey key, Optional<PrivateKey> stored, String where) {
        try {
            return custody.open(key, stored);
        } catch (KeyCustodyException e) {
            throw new KeyStoreException(where + " is inconsistent: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a store written under another custody, before anything opens or changes its keys: opening a {@code files}
     * store with {@code pkcs11} would sign with token objects that do not exist and let the next commit delete the
     * stored private keys; the reverse would find no private keys.
     *
     * @param recorded the custody the store's metadata records ({@link KeySetJson#custody})
     * @throws KeyStoreException naming {@code where}, both custodies and what to do
     */
    public static void requireWrittenBy(KeyCustody custody, String recorded, String where) {
        if (recorded.equals(custody.name())) {
            return;
        }
        throw new KeyStoreException(where + " was written with custody " + recorded + " but issuer.keys.custody is "
                + custody.name() + "; a key store cannot switch custody: keep issuer.keys.custody="
                + recorded + " for this store, or start custody " + custody.name() + " with a new, empty key store"
                + (custody.keepsPrivateKeysInStore() ? "" : " and `keys import` the keys into it"));
    }

    /**
     * Has the custody destroy every private half that could sign before the commit (or was created for it) and can
     * no longer after it: the seam's form of {@link ManagedKey#withoutSpentPrivateKey()}. A failure leaves the commit
     * standing; the custody reports it and keeps the kid among its {@link KeyCustody#kids()} for a later attempt.
     */
    public static void destroySpent(KeyCustody custody, KeySet before, Collection<? extends KeyHandle> newKeys,
                                    KeySet committed) {
        Set<String> spent = new LinkedHashSet<>(signable(before));
        newKeys.forEach(k -> spent.add(k.kid()));
        spent.removeAll(signable(committed));
        for (String kid : spent) {
            try {
                custody.destroy(kid);
            } catch (KeyCustodyException e) {
                // the custody logged it; orphan detection finds the kid again
            }
        }
    }

    private static Set<String> signable(KeySet set) {
        Set<String> kids = new LinkedHashSet<>();
        set.keys().stream().filter(ManagedKey::hasPrivateKey).forEach(k -> kids.add(k.kid()));
        return kids;
    }
}
