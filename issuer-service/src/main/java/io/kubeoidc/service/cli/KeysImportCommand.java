package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.KeyImport;
import io.kubeoidc.keyset.KeySetChange;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemReadResult;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.StoredKeys;
import java.nio.file.Path;
import java.time.Duration;
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
                "Every file is read and checked before the store is touched; keys already in the store change nothing."},
        exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.COMMITTED, ExitCodes.WRITE_FAILED, ExitCodes.USAGE})
final class KeysImportCommand implements Callable<Integer>, StoreWriter {
    @Mixin
    StoreOptions dir;

    @Option(names = "--verify-only", description = "Publish the keys for verification only; keep the current signing key.")
    boolean verifyOnly;

    @Option(names = "--allow-skipped", description = "Import even if some PEM blocks are unusable (they are listed).")
    boolean allowSkipped;

    @Option(names = "--remove-after", paramLabel = "DURATION", converter = DurationText.Positive.class,
            description = "With --verify-only: drop the imported keys from the documents after this long (e.g. 48h, 7d);"
                    + " default: keep them until `keys remove`.")
    Duration removeAfter;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Why: recorded with the change, and in the running service's audit line.")
    String reason;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "PEM files: private keys, public keys, certificates.")
    List<Path> files;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (removeAfter != null && !verifyOnly) {
            throw new UsageException("--remove-after applies to --verify-only imports: an imported signing key stays"
                    + " until rotation retires it");
        }
        List<PemReadResult> read = files.stream().map(PemKeyReader::readFile).toList();
        KeyStore store = dir.storeOrNew();
        StoredKeys current = store.load();
        Instant now = Instant.now();
        Instant removeAt = removeAfter == null ? null : now.plus(removeAfter);
        KeySetChange change = KeyImport.plan(current.keySet(), read, verifyOnly, allowSkipped, removeAt, now);
        var out = spec.commandLine().getOut();
        if (change.newKeys().isEmpty() && change.next().keys().equals(current.keySet().keys())) {
            // Idempotent: a re-run (a provisioning script, a retry) must not move the revision.
            change.notes().forEach(out::println);
            out.println("nothing to change: every key is already in " + store.describe() + " (revision "
                    + current.keySet().revision() + ")");
            return 0;
        }
        dir.policy().validated();
        if (change.next().keys().size() > dir.policy().maxKeys()) {
            throw new IllegalStateException("max-keys: the import would publish " + change.next().keys().size()
                    + " keys and issuer.rotation.max-keys is " + dir.policy().maxKeys());
        }
        String command = "keys import" + (verifyOnly ? " --verify-only" : "") + " "
                + String.join(" ", files.stream().map(Path::toString).toList());
        // The custody takes the imported private keys (files: as they are) before the set that names them commits.
        var adopted = change.newKeys().stream().map(store.custody()::adopt).toList();
        StoredKeys committed = store.commit(current.keySet().revision(),
                change.next().withChange(StoreOptions.note(command, reason)), adopted);
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
