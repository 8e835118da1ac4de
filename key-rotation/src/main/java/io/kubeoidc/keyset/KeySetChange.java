package io.kubeoidc.keyset;

import io.kubeoidc.keys.SigningKey;
import java.util.List;

/**
 * A proposed next key set, the private keys it introduces (read from files, in memory until the store's custody
 * adopts them), and what to tell the operator.
 */
public record KeySetChange(KeySet next, List<SigningKey> newKeys, List<String> notes) {
    public KeySetChange {
        newKeys = List.copyOf(newKeys);
        notes = List.copyOf(notes);
    }

    @Override
    public String toString() {
        return "KeySetChange[keys=" + next.keys().size() + ", newPrivateKeys=" + newKeys.size() + "]";
    }
}
