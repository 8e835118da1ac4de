package io.kubeoidc.keys;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.Objects;

/** A private key with its published half. toString never shows key bytes. */
public record SigningKey(VerificationKey verificationKey, PrivateKey privateKey) {

    public SigningKey {
        Objects.requireNonNull(verificationKey, "verificationKey");
        Objects.requireNonNull(privateKey, "privateKey");
    }

    public static SigningKey of(KeyPair pair) {
        return new SigningKey(VerificationKey.of(pair.getPublic()), pair.getPrivate());
    }

    public static SigningKey generate(KeySpec spec, SecureRandom random) {
        return of(spec.generate(random));
    }

    public String kid() {
        return verificationKey.kid();
    }

    @Override
    public String toString() {
        return "SigningKey[kid=" + kid() + ", alg=" + verificationKey.algorithm() + ", private key redacted]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigningKey other && other.verificationKey.equals(verificationKey);
    }

    @Override
    public int hashCode() {
        return verificationKey.hashCode();
    }
}
