package io.kubeoidc.service.cli;

import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.store.SealedKeySetFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "reseal", mixinStandardHelpOptions = true,
        description = {"Re-seal the key set in etcd (keyset, private keys, policy; one transaction) and the local copies",
                "given under a new key-encryption key. Opened with --encryption-key-file (the current key). Running it",
                "again finishes an interrupted run. Then restart every replica with the new key (docs/ha.md)."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:Re-sealed (or already under the new key).", ExitCodes.WRITE_FAILED, ExitCodes.USAGE})
final class KeysResealCommand implements Callable<Integer>, StoreWriter {
    @Mixin
    StoreOptions dir;

    @Option(names = "--new-encryption-key-file", paramLabel = "FILE", required = true,
            description = "The new key-encryption key (32 random bytes, raw or base64).")
    Path newKeyFile;

    @Option(names = "--local-copy", paramLabel = "FILE",
            description = "A replica's sealed local copy (issuer.keys.etcd.local-copy) to re-seal too; repeatable.")
    List<Path> localCopies = List.of();

    @Option(names = "--local-copy-only", description = "Re-seal only the --local-copy files, not etcd"
            + " (on the other nodes, after etcd was re-sealed).")
    boolean localCopyOnly;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        SealedBox to = new SealedBox(KeyEncryptionKey.readFile(newKeyFile));
        if (localCopyOnly && localCopies.isEmpty()) {
            throw new IllegalArgumentException("--local-copy-only needs at least one --local-copy FILE");
        }
        SealedBox from;
        if (localCopyOnly) {
            if (dir.encryptionKeyFile == null) {
                throw new IllegalArgumentException("keys reseal needs --encryption-key-file (the current key)");
            }
            from = new SealedBox(KeyEncryptionKey.readFile(dir.encryptionKeyFile));
        } else {
            dir.etcdStoreFor("keys reseal");
            from = dir.sealedBox();
        }
        if (from.keyId().equals(to.keyId())) {
            throw new IllegalArgumentException("--new-encryption-key-file holds the same key as --encryption-key-file ("
                    + to.keyId() + "); create a new one with: (umask 077; openssl rand -base64 32 > FILE)");
        }
        if (!localCopyOnly) {
            int n = dir.etcdStoreFor("keys reseal").reseal(to);
            out.println(n == 0 ? "etcd: every value is already sealed under key-encryption key " + to.keyId()
                    : "etcd: re-sealed " + n + " value(s) under key-encryption key " + to.keyId() + " (was " + from.keyId() + ")");
        }
        for (Path copy : localCopies) {
            boolean done = new SealedKeySetFile(copy, from).resealUnder(to);
            out.println(copy + ": " + (done ? "re-sealed under " + to.keyId() : "already under " + to.keyId() + ", or absent"));
        }
        out.println("next: give every replica the new key (issuer.keys.encryption-key-file) and restart them one by one");
        return 0;
    }
}
