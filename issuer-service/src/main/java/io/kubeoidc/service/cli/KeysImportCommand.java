package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.KeyImport;
import io.kubeoidc.keyset.KeySetChange;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemReadResult;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.StoredKeys;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Adopt existing keys, such as kubeadm's sa.key and sa.pub, so tokens signed before the move stay valid.",
                "The first private key becomes the ACTIVE signing key; every key is published, in file order.",
                "Every file is read and checked before the store is touched."})
final class KeysImportCommand implements Callable<Integer> {
    @Mixin
    StoreOptions dir;

    @Option(names = "--verify-only", description = "Publish the keys for verification only; keep the current signing key.")
    boolean verifyOnly;

    @Option(names = "--allow-skipped", description = "Import even if some PEM blocks are unusable (they are listed).")
    boolean allowSkipped;

    @Option(names = "--remove-after", paramLabel = "DURATION",
            description = "Drop the imported verify-only keys from the documents after this long (e.g. 48h, 7d);"
                    + " default: keep them until `keys remove`.")
    String removeAfter;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "PEM files: private keys, public keys, certificates.")
    List<Path> files;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<PemReadResult> read = files.stream().map(PemKeyReader::readFile).toList();
        KeyStore store = dir.store();
        StoredKeys current = store.load();
        Instant now = Instant.now();
        Instant removeAt = removeAfter == null ? null : now.plus(DurationText.parse("--remove-after", removeAfter));
        KeySetChange change = KeyImport.plan(current.keySet(), read, verifyOnly, allowSkipped, removeAt, now);
        dir.policy().validated();
        if (change.next().keys().size() > dir.policy().maxKeys()) {
            throw new IllegalStateException("max-keys: the import would publish " + change.next().keys().size()
                    + " keys and issuer.rotation.max-keys is " + dir.policy().maxKeys());
        }
        StoredKeys committed = store.commit(current.keySet().revision(), change.next(), change.newKeys());
        var out = spec.commandLine().getOut();
        change.notes().forEach(out::println);
        var active = committed.keySet().active();
        if (active.isPresent() && !active.get().kid().equals(current.keySet().active().map(k -> k.kid()).orElse(null))
                && !"RS256".equals(active.get().key().algorithm().getName())) {
            spec.commandLine().getErr().println("warning: the new ACTIVE key " + active.get().kid() + " signs "
                    + active.get().key().algorithm() + ", and Entra ID accepts only RS256: its workload identity token"
                    + " exchange will refuse the tokens it signs (AADSTS700027). Import an RSA key for Entra ID.");
        }
        out.println("imported into " + store.describe() + ": " + committed.keySet().keys().size()
                + " published key(s), revision " + committed.keySet().revision());
        return 0;
    }
}
