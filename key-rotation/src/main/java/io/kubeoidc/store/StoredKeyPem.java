package io.kubeoidc.store;

import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemReadResult;

/**
 * A key a store filed under its kid and reads back: it must parse, be of the expected half, and have that
 * kid. Every store (directory, etcd, the sealed local copy) checks with this, so a swapped or corrupt entry
 * is reported the same way wherever it is found.
 */
public final class StoredKeyPem {
    private StoredKeyPem() {}

    /** @throws KeyStoreException naming {@code where} (a store, a file) when the PEM is not the key filed as {@code kid} */
    public static ParsedKey expect(String where, PemReadResult read, String kid, boolean wantPrivate) {
        ParsedKey k;
        try {
            k = read.requireKeys().get(0);
        } catch (KeyFileException e) {
            throw new KeyStoreException(where + " is inconsistent: " + e.getMessage(), e);
        }
        if (!k.kid().equals(kid) || (wantPrivate && !k.isPrivate())) {
            throw new KeyStoreException(where + " is inconsistent: " + read.source() + " does not hold the "
                    + (wantPrivate ? "private" : "public") + " key " + kid);
        }
        return k;
    }
}
