package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "list", mixinStandardHelpOptions = true, description = "Print every key: kid, algorithm, size, state, since when, and origin (with --output json, the"
                + " same document as `keys status --output json`).",
        exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.PRINTED, ExitCodes.READ_FAILED, ExitCodes.USAGE})
final class KeysListCommand implements Callable<Integer> {
    @Mixin
    StoreOptions dir;

    @Mixin
    OutputOption output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (output.json()) {
            out.println(dir.json());
            return 0;
        }
        var set = dir.loadOrSayEmpty(out);
        if (set == null) {
            return 0;
        }
        Instant now = Instant.now();
        Table table = new Table("KID", "ALG", "SIZE", "STATE", "SINCE", "ORIGIN", "PRIVATE KEY");
        String location = dir.custody().location();
        for (ManagedKey k : set.keys()) {
            table.row(k.kid(), k.key().algorithm(), k.key().size(), k.state(), DurationText.when(k.stateSince(), now), k.origin(),
                    k.hasPrivateKey() ? location : "-");
        }
        table.print(out, "");
        return 0;
    }
}
