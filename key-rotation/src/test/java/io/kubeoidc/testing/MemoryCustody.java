package io.kubeoidc.testing;

import com.nimbusds.jose.JWSSigner;
import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyCustodyException;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A custody that keeps private keys outside the key store (in this JVM's memory), as a token would: for tests of
 * what the stores persist, and do not, under such a custody.
 */
public final class MemoryCustody implements KeyCustody {
    private final Map<String, SigningKey> held = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String location() {
        return "memory:test";
    }

    @Override
    public boolean keepsPrivateKeysInStore() {
        return false;
    }

    @Override
    public KeyHandle create(KeySpec spec) {
        return adopt(SigningKey.generate(spec, random));
    }

    @Override
    public KeyHandle adopt(SigningKey key) {
        held.put(key.kid(), key);
        return new Handle(key.verificationKey());
    }

    @Override
    public KeyHandle open(VerificationKey key, Optional<PrivateKey> stored) {
        if (stored.isPresent()) {
            throw new KeyCustodyException("custody memory was handed a private key from the store");
        }
        return new Handle(key);
    }

    @Override
    public void destroy(String kid) {
        held.remove(kid);
    }

    @Override
    public Set<String> kids() {
        return Set.copyOf(held.keySet());
    }

    private final class Handle implements KeyHandle {
        private final VerificationKey key;

        Handle(VerificationKey key) {
            this.key = key;
        }

        @Override
        public VerificationKey verificationKey() {
            return key;
        }

        @Override
        public JWSSigner signer() {
            SigningKey k = held.get(key.kid());
            if (k == null) {
                throw new KeyCustodyException("custody memory holds no key " + key.kid());
            }
            return k.signer();
        }

        @Override
        public Optional<PrivateKey> storableKey() {
            return Optional.empty();
        }
    }
}
