package io.kubeoidc.service.cli;

import io.kubeoidc.store.DirectoryKeyStore;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --keys-dir, shared by every command that opens the store; same default as issuer.keys.directory. */
final class KeysDirOption {
    @Option(names = "--keys-dir", paramLabel = "DIR", defaultValue = "./data/keys",
            description = "Key store directory (default: ${DEFAULT-VALUE}, as issuer.keys.directory).")
    Path keysDir;

    DirectoryKeyStore store() {
        return new DirectoryKeyStore(keysDir);
    }
}
