package io.kubeoidc.store;

import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded key set plus a handle for every key it lets sign (NEXT and ACTIVE), opened through the store's custody:
 * the private key itself for {@code files}, a reference into the custody otherwise.
 */
public record StoredKeys(KeySet keySet, Map<String, KeyHandle> signingKeys) {

    public static final StoredKeys EMPTY = new StoredKeys(KeySet.EMPTY, Map.of());

    public StoredKeys {
        signingKeys = Map.copyOf(signingKeys);
    }

    public Optional<KeyHandle> activeSigningKey() {
        return keySet.active().map(k -> signingKeys.get(k.kid()));
    }

    @Override
    public String toString() {
        return "StoredKeys[revision=" + keySet.revision() + ", keys=" + keySet.keys().size() + "]";
    }
}
