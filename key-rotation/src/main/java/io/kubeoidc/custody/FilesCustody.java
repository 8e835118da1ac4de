package io.kubeoidc.custody;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;
import java.util.Set;

/**
 * The default custody: private keys generated in memory and kept in the key store itself (PEM files 0600 in the key
 * directory, sealed values in etcd, the sealed local copy). The only custody with which sa.key can be written.
 */
public final class FilesCustody implements KeyCustody {
    public static final String NAME = "files";

    /** For stores and tools that are not told otherwise. */
    public static final FilesCustody INSTANCE = new FilesCustody(new SecureRandom());

    private final SecureRandom random;

    public FilesCustody(SecureRandom random) {
        this.random = random;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String location() {
        return NAME;
    }

    @Override
    public boolean keepsPrivateKeysInStore() {
        return true;
    }

    @Override
    public SigningKey create(KeySpec spec) {
        return SigningKey.generate(spec, random);
    }

    @Override
    public SigningKey adopt(SigningKey key) {
        return key;
    }

    /** The stored private key, checked to be {@code key}'s other half (a store mix-up must not sign under a wrong kid). */
    @Override
    public SigningKey open(VerificationKey key, Optional<PrivateKey> stored) {
        PrivateKey priv = stored.orElseThrow(() -> new KeyCustodyException("custody " + NAME
                + " keeps private keys in the key store, which holds none for kid " + key.kid()));
        if (!halves(key, priv)) {
            throw new KeyCustodyException("the stored private key is not the private half of kid " + key.kid());
        }
        return new SigningKey(key, priv);
    }

    private static boolean halves(VerificationKey key, PrivateKey priv) {
        if (key.publicKey() instanceof RSAPublicKey pub && priv instanceof RSAPrivateKey p) {
            return pub.getModulus().equals(p.getModulus());
        }
        if (key.publicKey() instanceof ECPublicKey pub && priv instanceof ECPrivateKey p) {
            return pub.getParams().getCurve().equals(p.getParams().getCurve())
                    && pub.getParams().getGenerator().equals(p.getParams().getGenerator());
        }
        return false;
    }

    /** The store's commit already deleted the private half (its file, its sealed value): nothing is left here. */
    @Override
    public void destroy(String kid) {
        // nothing held outside the store
    }

    /** Nothing is held outside the key store, which removes its own orphans when it commits. */
    @Override
    public Set<String> kids() {
        return Set.of();
    }

    @Override
    public String toString() {
        return "FilesCustody";
    }
}
