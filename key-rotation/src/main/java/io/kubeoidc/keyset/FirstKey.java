package io.kubeoidc.keyset;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A store with no signing key gets one at first start. It signs at once: nothing was published
 * before, so there is no relying party whose cache could miss it.
 */
public final class FirstKey {
    private FirstKey() {}

    public static Optional<KeySetChange> ifNeeded(KeySet current, KeySpec spec, SecureRandom random, Instant now) {
        if (current.active().isPresent()) {
            return Optional.empty();
        }
        SigningKey key = SigningKey.generate(spec, random);
        List<ManagedKey> keys = new ArrayList<>(current.keys());
        keys.add(ManagedKey.added(key.verificationKey(), KeyState.ACTIVE, true, now, "generated"));
        return Optional.of(new KeySetChange(new KeySet(current.revision(), keys), List.of(key),
                List.of("generated " + spec.label() + " signing key " + key.kid())));
    }
}
