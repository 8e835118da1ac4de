package io.kubeoidc.custody;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keys.VerificationKey;
import java.security.PrivateKey;
import java.util.Optional;
import java.util.Set;

/**
 * Where private keys live, split from the key set that names them (SPIRE's KeyManager): the stores keep kids,
 * states and public keys; a custody creates keys, opens a key as a {@link KeyHandle} that can sign, and destroys
 * it once it can no longer sign. The rotation planner sees only the public halves.
 *
 * <p>A custody either keeps the private material in the key store ({@code files}: PEM files in the key directory,
 * sealed values in etcd) or outside it (a PKCS#11 token). Stores ask {@link #keepsPrivateKeysInStore()} to decide
 * whether they persist private material at all, and hand whatever they hold for a key to {@link #open}.
 *
 * <p>Implementations are thread-safe. Their messages never contain key material, PINs or credentials.
 */
public interface KeyCustody {

    /** The configuration value that selects this custody: {@code files}, {@code pkcs11}. */
    String name();

    /**
     * Where this custody's private keys live, for {@code keys list/status}, health and messages: {@code files},
     * {@code pkcs11:token=LABEL}. Never contains a secret.
     */
    String location();

    /**
     * Whether the key store holds the private halves ({@code files}: yes). When true the store persists
     * {@link KeyHandle#storableKey()} of every new key and passes it back to {@link #open}; when false it persists
     * only public keys and metadata, and sa.key (the kube-apiserver key files) cannot be written.
     */
    boolean keepsPrivateKeysInStore();

    /**
     * Creates a new key. Nothing names it until a key store commits a key set that contains it: a crash in
     * between leaves an orphan, which {@link #kids()} reveals for a custody that keeps keys outside the store.
     *
     * @throws KeyCustodyException when the custody cannot create the key (a token without room or unreachable)
     */
    KeyHandle create(KeySpec spec);

    /**
     * Takes an existing key into custody ({@code keys import}): {@code files} keeps it as it is; a token stores it
     * as a sensitive, non-extractable object, or refuses.
     *
     * @throws KeyCustodyException when the custody cannot or will not hold it; nothing is changed then
     */
    KeyHandle adopt(SigningKey key);

    /**
     * A handle for a key this custody holds. Cheap and without I/O: a device is reached on the first signature, so
     * loading a key set (the CLI, a reload) never depends on it.
     *
     * @param key    the public half, from the key store
     * @param stored the private key the store holds for it: present exactly when {@link #keepsPrivateKeysInStore()}
     * @throws KeyCustodyException when {@code stored} is absent for a custody that needs it, or is not the private
     *                             half of {@code key}
     */
    KeyHandle open(VerificationKey key, Optional<PrivateKey> stored);

    /**
     * Destroys the private half of {@code kid}, which can never sign again (it left NEXT and ACTIVE, or left the key
     * set). Called by the key store after it committed the set that no longer lets it sign; idempotent. For
     * {@code files} the store's commit has already deleted it, so there is nothing left to do.
     *
     * @throws KeyCustodyException when the custody could not destroy it: the commit stands, so the implementation
     *                             logs the cause, and the key stays among {@link #kids()} for orphan detection
     */
    void destroy(String kid);

    /**
     * The kids of the private keys this custody holds outside any key store, for orphan detection: a kid here that the
     * key set does not name as able to sign (absent, or no longer NEXT or ACTIVE) is an orphan of a crash or of a
     * failed {@link #destroy}. Empty for a custody that keeps private keys in the store: the store removes its own.
     */
    Set<String> kids();
}
