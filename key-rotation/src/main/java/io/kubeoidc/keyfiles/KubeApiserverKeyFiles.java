package io.kubeoidc.keyfiles;

import io.kubeoidc.files.AtomicFiles;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.store.StoredKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The files kube-apiserver reads when it does not use the external signer:
 * {@code sa.pub} (every published key, for --service-account-key-file) and {@code sa.key} (the
 * ACTIVE private key, for --service-account-signing-key-file and kube-controller-manager's
 * --service-account-private-key-file). kube-apiserver reads them only at start, so every change
 * means a restart; the rotation schedule makes sa.pub gain a NEXT key long before sa.key switches.
 */
public final class KubeApiserverKeyFiles {
    public static final String PUBLIC_FILE = "sa.pub";
    public static final String PRIVATE_FILE = "sa.key";

    private KubeApiserverKeyFiles() {}

    /** Which files changed in one write. */
    public record Written(boolean publicKeys, boolean signingKey) {
        public boolean any() {
            return publicKeys || signingKey;
        }
    }

    /** Writes both files atomically, sa.pub first, each only when its content changes. */
    public static Written write(Path dir, StoredKeys keys) throws IOException {
        boolean pub = AtomicFiles.writeIfChanged(dir.resolve(PUBLIC_FILE),
                PemKeyWriter.publicKeys(keys.keySet().published()), AtomicFiles.PUBLIC);
        Optional<SigningKey> active = keys.activeSigningKey();
        boolean priv = active.isPresent() && AtomicFiles.writeIfChanged(dir.resolve(PRIVATE_FILE),
                PemKeyWriter.privateKey(active.get()), AtomicFiles.PRIVATE);
        return new Written(pub, priv);
    }
}
