package io.kubeoidc.pem;

import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.util.Optional;

/** A usable key found in block {@code index}; private keys carry their signing half. */
public record ParsedKey(int index, String type, String format, VerificationKey verificationKey,
                        Optional<SigningKey> signingKey) {

    public boolean isPrivate() {
        return signingKey.isPresent();
    }

    public String kid() {
        return verificationKey.kid();
    }

    @Override
    public String toString() {
        return "block " + index + " (" + type + ", " + format + "): kid " + kid();
    }
}
