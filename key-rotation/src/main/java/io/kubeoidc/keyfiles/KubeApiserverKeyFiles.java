package io.kubeoidc.keyfiles;

import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.files.AtomicFiles;
import io.kubeoidc.files.TrustedDirectory;
import io.kubeoidc.files.UnsafeDirectoryException;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.store.StoredKeys;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The files kube-apiserver reads when it does not use the external signer:
 * {@code sa.pub} (every published key, for --service-account-key-file) and {@code sa.key} (the
 * ACTIVE private key, for --service-account-signing-key-file and kube-controller-manager's
 * --service-account-private-key-file). kube-apiserver reads them only at start, so every change
 * means a restart; the rotation schedule makes sa.pub gain a NEXT key long before sa.key switches.
 * sa.key is the private key itself, so these files exist only under a custody that keeps private keys in the key
 * store ({@code files}); see {@link #requireCustody}.
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

    /** sa.key is 0600 itself; the directory is readable so that a kube-apiserver not running as root finds sa.pub. */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    /**
     * Creates the directory (0755) if missing and refuses one another local user could change: they could replace
     * sa.key, and kube-apiserver would sign with their key.
     *
     * @throws UnsafeDirectoryException for a directory (or one above it) writable or owned by another user
     */
    public static void prepare(Path dir) throws IOException {
        TrustedDirectory.create(dir, DIRECTORY_MODE, "key-files directory");
    }

    /**
     * Refuses a custody that never gives out private keys: kube-apiserver would need the key in sa.key.
     *
     * @throws IllegalArgumentException naming the custody
     */
    public static void requireCustody(KeyCustody custody) {
        if (!custody.keepsPrivateKeysInStore()) {
            throw new IllegalArgumentException(refusal("custody " + custody.location() + " never gives it out"));
        }
    }

    private static String refusal(String why) {
        return "the kube-apiserver key files need the private key itself in " + PRIVATE_FILE + ", but " + why
                + "; use custody files, or kube-apiserver's external signer";
    }

    /**
     * Writes both files atomically, sa.pub first, each only when its content changes.
     *
     * @throws IllegalArgumentException when the ACTIVE key is held by a custody that keeps it outside the store
     */
    public static Written write(Path dir, StoredKeys keys) throws IOException {
        Optional<KeyHandle> active = keys.activeSigningKey();
        Optional<SigningKey> signing = active.map(a -> new SigningKey(a.verificationKey(), a.storableKey()
                .orElseThrow(() -> new IllegalArgumentException(refusal("kid " + a.kid() + " is held outside the key store")))));
        prepare(dir);
        boolean pub = AtomicFiles.writeIfChanged(dir.resolve(PUBLIC_FILE),
                PemKeyWriter.publicKeys(keys.keySet().published()), AtomicFiles.PUBLIC);
        boolean priv = signing.isPresent() && AtomicFiles.writeIfChanged(dir.resolve(PRIVATE_FILE),
                PemKeyWriter.privateKey(signing.get()), AtomicFiles.PRIVATE);
        return new Written(pub, priv);
    }
}
