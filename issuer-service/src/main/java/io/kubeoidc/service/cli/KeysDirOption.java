package io.kubeoidc.service.cli;

import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.rotation.RotationPlan;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.PolicyFile;
import io.kubeoidc.store.StoredKeys;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** --keys-dir, shared by every command that opens the store; same default as issuer.keys.directory. */
final class KeysDirOption {
    @Option(names = "--keys-dir", paramLabel = "DIR", defaultValue = "./data/keys",
            description = "Key store directory (default: ${DEFAULT-VALUE}, as issuer.keys.directory).")
    Path keysDir;

    DirectoryKeyStore store() {
        return new DirectoryKeyStore(keysDir);
    }

    /** The stored key set, or null after telling the operator the store is empty. */
    io.kubeoidc.keyset.KeySet loadOrSayEmpty(PrintWriter out) {
        DirectoryKeyStore store = store();
        var set = store.load().keySet();
        if (set.isEmpty()) {
            out.println("no keys in " + store.directory() + " (the service generates a signing key at first start)");
            return null;
        }
        return set;
    }

    /** The policy the service last ran with (policy.json), or the defaults. */
    RotationPolicy policy() {
        return PolicyFile.read(store().directory()).orElseGet(() -> RotationPolicy.defaults(Duration.ofHours(1)));
    }

    /**
     * Plans a change on the current store and commits it through the store's lock, conditioned on
     * the revision read, so a running service and this command never overwrite each other.
     */
    StoredKeys apply(Function<StoredKeys, RotationPlan> change, PrintWriter out) {
        DirectoryKeyStore store = store();
        StoredKeys current = store.load();
        RotationPlan plan = change.apply(current);
        StoredKeys committed = store.commit(current.keySet().revision(), plan.next(), plan.newKeys());
        plan.transitions().forEach(t -> out.println(t));
        out.println("committed revision " + committed.keySet().revision() + " to " + store.directory()
                + "; a running service applies it within issuer.rotation.check-interval");
        return committed;
    }

    static SigningKey generate(io.kubeoidc.keys.KeySpec spec) {
        return SigningKey.generate(spec, new SecureRandom());
    }
}
