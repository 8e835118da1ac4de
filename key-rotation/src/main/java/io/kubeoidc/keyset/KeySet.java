package io.kubeoidc.keyset;

import io.kubeoidc.keys.VerificationKey;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The published keys in publication order, with their states. Immutable; every change yields a
 * new set. {@code revision} counts committed changes and lets a store refuse a stale write.
 */
public record KeySet(long revision, List<ManagedKey> keys) {

    public static final KeySet EMPTY = new KeySet(0, List.of());

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

    /** What goes into the JWKS, in order. */
    public List<VerificationKey> published() {
        return keys.stream().map(ManagedKey::key).toList();
    }
}
