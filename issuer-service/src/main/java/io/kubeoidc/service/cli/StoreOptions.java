package io.kubeoidc.service.cli;

import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.rotation.RotationPlan;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.StoredKeys;
import io.kubeoidc.store.etcd.EtcdKeyStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which store a command opens: the directory (--keys-dir, as issuer.keys.directory), or with
 * --etcd-endpoints the etcd store a replica group shares (which also needs the key-encryption key).
 */
final class StoreOptions {
    @Option(names = "--keys-dir", paramLabel = "DIR", defaultValue = "./data/keys",
            description = "Key store directory (default: ${DEFAULT-VALUE}, as issuer.keys.directory).")
    Path keysDir;

    @Mixin
    EtcdOptions etcd;

    @Option(names = "--encryption-key-file", paramLabel = "FILE", defaultValue = "${env:ISSUER_KEYS_ENCRYPTION_KEY_FILE}",
            description = "With --etcd-endpoints: the key-encryption key every replica uses (issuer.keys.encryption-key-file).")
    Path encryptionKeyFile;

    @Option(names = "--custody", paramLabel = "NAME", defaultValue = "${env:ISSUER_KEYS_CUSTODY:-files}",
            description = "Who holds the private keys, as issuer.keys.custody: files (default) or pkcs11.")
    String custody;

    @Option(names = "--pkcs11-library", paramLabel = "FILE", defaultValue = "${env:ISSUER_KEYS_PKCS11_LIBRARY}",
            description = "With --custody pkcs11: the token's PKCS#11 module (issuer.keys.pkcs11.library).")
    Path pkcs11Library;

    @Option(names = "--pkcs11-token-label", paramLabel = "LABEL", defaultValue = "${env:ISSUER_KEYS_PKCS11_TOKEN_LABEL}",
            description = "With --custody pkcs11: the token's label (issuer.keys.pkcs11.token-label).")
    String pkcs11TokenLabel;

    @Option(names = "--pkcs11-slot", paramLabel = "ID", defaultValue = "${env:ISSUER_KEYS_PKCS11_SLOT}",
            description = "With --custody pkcs11: the slot instead of a label (issuer.keys.pkcs11.slot).")
    Long pkcs11Slot;

    @Option(names = "--pkcs11-pin-file", paramLabel = "FILE", defaultValue = "${env:ISSUER_KEYS_PKCS11_PIN_FILE}",
            description = "With --custody pkcs11: the file holding the token's user PIN, mode 0600 or 0400"
                    + " (issuer.keys.pkcs11.pin-file).")
    Path pkcs11PinFile;

    private io.kubeoidc.custody.KeyCustody keyCustody;

    /** The custody the service runs with, opened once (pkcs11: loads the module and logs in to the token). */
    io.kubeoidc.custody.KeyCustody custody() {
        if (keyCustody == null) {
            String name = custody == null ? "files" : custody.strip().toLowerCase(java.util.Locale.ROOT);
            keyCustody = switch (name) {
                case "files" -> io.kubeoidc.custody.FilesCustody.INSTANCE;
                case "pkcs11" -> {
                    if (pkcs11Library == null || pkcs11PinFile == null) {
                        throw new UsageException("--custody pkcs11 needs --pkcs11-library and --pkcs11-pin-file (or"
                                + " $ISSUER_KEYS_PKCS11_LIBRARY and $ISSUER_KEYS_PKCS11_PIN_FILE)");
                    }
                    try {
                        yield io.kubeoidc.custody.pkcs11.Pkcs11Custody.open(new io.kubeoidc.custody.pkcs11.Pkcs11Settings(
                                pkcs11Library, pkcs11TokenLabel, pkcs11Slot, pkcs11PinFile));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage().replace("issuer.keys.pkcs11.", "--pkcs11-"));
                    }
                }
                default -> throw new UsageException("--custody must be files or pkcs11 (got '" + custody + "')");
            };
        }
        return keyCustody;
    }

    private KeyStore store;
    private io.kubeoidc.store.etcd.EtcdConnection connection;
    private SealedBox box;

    /** The store, which must exist: a typo in --keys-dir is an error, never an empty store. */
    KeyStore store() {
        if (etcd.endpoints == null) {
            requireDirectory(keysDir, "--keys-dir");
        }
        return storeOrNew();
    }

    /** The store, or for a directory that does not exist yet, a new one it creates at the first commit (import). */
    KeyStore storeOrNew() {
        if (store == null) {
            store = etcd.endpoints == null ? new DirectoryKeyStore(keysDir, custody()) : etcdStore();
        }
        return store;
    }

    /**
     * Fails for a key store directory that does not exist: every command that reads a store (and doctor's
     * --keys-dir) says so instead of reporting an empty store.
     */
    static void requireDirectory(Path dir, String option) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.exists(abs)) {
            throw new IllegalArgumentException("key store directory " + abs + " does not exist (" + option
                    + " names the service's issuer.keys.directory; its default is ./data/keys in the service's"
                    + " working directory)");
        }
    }

    private KeyStore etcdStore() {
        if (encryptionKeyFile == null) {
            throw new UsageException("--etcd-endpoints needs --encryption-key-file (the key-encryption key"
                    + " every replica uses), or $ISSUER_KEYS_ENCRYPTION_KEY_FILE");
        }
        box = new SealedBox(KeyEncryptionKey.readFile(encryptionKeyFile));
        connection = etcd.connect();
        // An operator's change is not fenced by the leader key, only by the revision: the leader replans from it.
        return new EtcdKeyStore(connection, box, Clock.systemUTC(), List::of, io.kubeoidc.store.RevisionFloor.NONE, custody());
    }

    /** The etcd store (for commands that only make sense there), or a clear error naming the command. */
    EtcdKeyStore etcdStoreFor(String command) {
        if (!(store() instanceof EtcdKeyStore e)) {
            throw new IllegalArgumentException(command + " works on the etcd store: give --etcd-endpoints and"
                    + " --encryption-key-file (the directory store is not sealed)");
        }
        return e;
    }

    /** The key-encryption key the etcd store is opened with. */
    SealedBox sealedBox() {
        store();
        return box;
    }

    /** The highest revision a live replica announces serving (etcd), or 0: a restore must go above it. */
    long highestAnnouncedRevision() {
        store();
        if (connection == null) {
            return 0;
        }
        return io.kubeoidc.store.etcd.EtcdGroupView.read(connection).replicas().stream()
                .mapToLong(io.kubeoidc.store.etcd.EtcdLeaderElection.Replica::revision).max().orElse(0);
    }

    /** The stored key set, or null after telling the operator the store is empty. */
    io.kubeoidc.keyset.KeySet loadOrSayEmpty(PrintWriter out) {
        var set = store().load().keySet();
        if (set.isEmpty()) {
            out.println("no keys in " + store().describe() + " (the service generates a signing key at first start)");
            return null;
        }
        return set;
    }

    /** What `keys list|status --output json` print, for the store as it is now. */
    String json() {
        var set = store().load().keySet();
        return KeysDocument.of(set, describe(set), policy(), storeOrNew().recordedPolicy().isPresent(), this::custody,
                java.time.Instant.now()).toJson();
    }

    /** The store as `--output json` describes it. */
    KeysDocument.Store describe(io.kubeoidc.keyset.KeySet set) {
        KeyStore s = store();
        return new KeysDocument.Store(s instanceof EtcdKeyStore ? "etcd" : "directory",
                s instanceof DirectoryKeyStore d ? d.directory().toString() : s.describe(), set.revision(),
                set.keysChangedAt() == null ? null : set.keysChangedAt().toString());
    }

    /** Where the private half of {@code kid} lives. */
    KeysDocument.Custody custody(String kid) {
        var keyCustody = store().custody();
        if (!keyCustody.keepsPrivateKeysInStore()) {
            // A token's object: the store holds only the public key.
            return new KeysDocument.Custody(keyCustody.name(), keyCustody.location());
        }
        return store() instanceof EtcdKeyStore e ? new KeysDocument.Custody("etcd", e.privateKeySlot(kid))
                : new KeysDocument.Custody("files", ((DirectoryKeyStore) store()).privateFile(kid).toString());
    }

    /** The policy the service last ran with, or the defaults. */
    RotationPolicy policy() {
        return storeOrNew().recordedPolicy().orElseGet(() -> RotationPolicy.defaults(Duration.ofHours(1)));
    }

    /**
     * Plans a change on the current store and commits it conditioned on the revision read, so a running
     * service and this command never overwrite each other.
     */
    StoredKeys apply(Function<StoredKeys, RotationPlan> change, PrintWriter out) {
        return apply(change, null, out);
    }

    /** As {@link #apply(Function, PrintWriter)}, recording the command and reason with the commit for the audit. */
    StoredKeys apply(Function<StoredKeys, RotationPlan> change, io.kubeoidc.keyset.ChangeNote note, PrintWriter out) {
        KeyStore s = store();
        StoredKeys current = s.load();
        RotationPlan plan = change.apply(current);
        var next = note == null ? plan.next() : plan.next().withChange(note);
        StoredKeys committed = s.commit(current.keySet().revision(), next, plan.newKeys());
        // The audit-log form (ISO-8601 durations), as the service logs the same transitions.
        plan.transitions().forEach(t -> out.println(t));
        out.println("committed revision " + committed.keySet().revision() + " to " + s.describe()
                + "; running replicas apply it within issuer.rotation.check-interval (etcd: within a second)");
        return committed;
    }

    /** What the operator ran and why, for the service's audit line when it picks the change up. */
    static io.kubeoidc.keyset.ChangeNote note(String command, String reason) {
        return new io.kubeoidc.keyset.ChangeNote(command, reason == null || reason.isBlank() ? null : reason.strip(),
                System.getProperty("user.name"));
    }

    /** A new key, created by the store's custody. */
    KeyHandle generate(io.kubeoidc.keys.KeySpec spec) {
        return store().custody().create(spec);
    }
}
