package io.kubeoidc.custody;

import com.nimbusds.jose.JWSSigner;
import io.kubeoidc.keys.VerificationKey;
import java.security.PrivateKey;
import java.util.Optional;

/** A key that can sign, whichever custody holds its private half. toString never shows key material. */
public interface KeyHandle {

    /** The published half, from which kid and alg follow. */
    VerificationKey verificationKey();

    default String kid() {
        return verificationKey().kid();
    }

    /**
     * A Nimbus signer for {@link VerificationKey#algorithm()}.
     *
     * @throws KeyCustodyException when the custody cannot sign now (a token unplugged, a session lost)
     */
    JWSSigner signer();

    /**
     * The private key for a custody that keeps it in the key store ({@link KeyCustody#keepsPrivateKeysInStore()}),
     * which the store persists; empty when the private key never leaves its custody.
     */
    Optional<PrivateKey> storableKey();
}
