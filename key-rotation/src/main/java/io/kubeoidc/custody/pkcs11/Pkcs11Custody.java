package io.kubeoidc.custody.pkcs11;

import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyCustodyException;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Optional;
import java.util.Set;

/**
 * Keys on a PKCS#11 token (HSM, TPM, cloud HSM): created and kept there as sensitive, never-extractable objects
 * named by kid; the key store keeps only public keys and states. RSA only: Entra ID accepts only RS256, and RSA
 * is the one key type every module here signs with the same mechanism.
 */
public final class Pkcs11Custody implements KeyCustody, AutoCloseable {
    private final Pkcs11Token token;
    private final String location;

    public Pkcs11Custody(Pkcs11Token token, Pkcs11Settings settings) {
        this.token = token;
        this.location = "pkcs11:" + (settings.tokenLabel() != null ? "token=" + settings.tokenLabel() : "slot=" + settings.slot());
    }

    /** Loads the module and logs in to the token; a failure names its cause (never the PIN). */
    public static Pkcs11Custody open(Pkcs11Settings settings) {
        return new Pkcs11Custody(Pkcs11Token.open(settings), settings);
    }

    @Override
    public String name() {
        return "pkcs11";
    }

    @Override
    public String location() {
        return location;
    }

    @Override
    public boolean keepsPrivateKeysInStore() {
        return false;
    }

    @Override
    public KeyHandle create(KeySpec spec) {
        if (spec.rsaBits() == 0) {
            throw new KeyCustodyException("custody pkcs11 creates RSA keys only (RS256, the one algorithm Entra ID "
                    + "accepts), not " + spec.label());
        }
        return new Handle(VerificationKey.of(token.generateRsa(spec.rsaBits(), pub -> VerificationKey.of(pub).kid())));
    }

    @Override
    public KeyHandle adopt(SigningKey key) {
        if (!(key.privateKey() instanceof RSAPrivateCrtKey rsa)) {
            throw new KeyCustodyException("custody pkcs11 takes RSA keys only (with their CRT parameters); key "
                    + key.kid() + " is " + key.verificationKey().keyType() + "; nothing was imported");
        }
        token.importRsa(key.kid(), rsa);
        return new Handle(key.verificationKey());
    }

    @Override
    public KeyHandle open(VerificationKey key, Optional<PrivateKey> stored) {
        if (stored.isPresent()) {
            throw new KeyCustodyException("the key store holds a private key for " + key.kid()
                    + ", but custody pkcs11 keeps private keys only on " + location);
        }
        return new Handle(key);
    }

    @Override
    public void destroy(String kid) {
        try {
            token.destroy(kid);
        } catch (KeyCustodyException e) {
            // the store's commit stands; the kid stays on the token, where the orphan sweep finds it again
            LOG.log(System.Logger.Level.WARNING, "Could not destroy key {0} on {1}: {2}", kid, location, e.getMessage());
            throw e;
        }
    }

    private static final System.Logger LOG = System.getLogger(Pkcs11Custody.class.getName());

    @Override
    public Set<String> kids() {
        return token.labels();
    }

    /** Empty while the token answers; otherwise the reason (for readiness, health and the log). */
    public Optional<String> unavailable() {
        return token.problem();
    }

    public Pkcs11Token token() {
        return token;
    }

    @Override
    public void close() {
        token.close();
    }

    private final class Handle implements KeyHandle {
        private final VerificationKey key;
        private final Pkcs11RsaSigner signer;

        Handle(VerificationKey key) {
            this.key = key;
            this.signer = new Pkcs11RsaSigner(token, key.kid());
        }

        @Override
        public VerificationKey verificationKey() {
            return key;
        }

        @Override
        public com.nimbusds.jose.JWSSigner signer() {
            return signer;
        }

        @Override
        public Optional<PrivateKey> storableKey() {
            return Optional.empty();
        }

        @Override
        public String toString() {
            return "Pkcs11Key[kid=" + key.kid() + ", on " + location + "]";
        }
    }
}
