package io.kubeoidc.keyset;

import io.kubeoidc.keys.VerificationKey;
import java.time.Instant;
import java.util.Objects;

/**
 * A key and its lifecycle facts. Holds no private key bytes: those stay in the store.
 *
 * @param hasPrivateKey whether the store holds the private half (required to be NEXT or ACTIVE)
 * @param origin        "generated", or "imported from FILE"
 */
public record ManagedKey(VerificationKey key, KeyState state, boolean hasPrivateKey, Instant created,
                         Instant stateSince, String origin) {

    public ManagedKey {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(stateSince, "stateSince");
        Objects.requireNonNull(origin, "origin");
        if ((state == KeyState.ACTIVE || state == KeyState.NEXT) && !hasPrivateKey) {
            throw new IllegalArgumentException("key " + key.kid() + " cannot be " + state + " without its private key");
        }
    }

    public String kid() {
        return key.kid();
    }

    public ManagedKey withState(KeyState next, Instant since) {
        return new ManagedKey(key, next, hasPrivateKey, created, since, origin);
    }
}
