package io.kubeoidc.store;

import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import java.util.Map;
import java.util.Optional;

/** A loaded key set plus the private keys the store holds for it. */
public record StoredKeys(KeySet keySet, Map<String, SigningKey> signingKeys) {

    public static final StoredKeys EMPTY = new StoredKeys(KeySet.EMPTY, Map.of());

    public StoredKeys {
        signingKeys = Map.copyOf(signingKeys);
    }

    public Optional<SigningKey> activeSigningKey() {
        return keySet.active().map(k -> signingKeys.get(k.kid()));
    }

    @Override
    public String toString() {
        return "StoredKeys[revision=" + keySet.revision() + ", keys=" + keySet.keys().size() + "]";
    }
}
