package io.kubeoidc.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import io.kubeoidc.custody.KeyHandle;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.util.Objects;
import java.util.Optional;

/**
 * A private key held in memory with its published half: the handle of the {@code files} custody, and what PEM files
 * parse to. toString never shows key bytes.
 */
public record SigningKey(VerificationKey verificationKey, PrivateKey privateKey) implements KeyHandle {

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

    @Override
    public String kid() {
        return verificationKey.kid();
    }

    @Override
    public JWSSigner signer() {
        try {
            return privateKey instanceof ECPrivateKey ec ? new ECDSASigner(ec) : new RSASSASigner(privateKey);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot sign with key " + kid() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<PrivateKey> storableKey() {
        return Optional.of(privateKey);
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
