package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "list", mixinStandardHelpOptions = true, description = "Print every key: kid, algorithm, size and state.")
final class KeysListCommand implements Callable<Integer> {
    @Mixin
    StoreOptions dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var set = dir.loadOrSayEmpty(out);
        if (set == null) {
            return 0;
        }
        String format = "%-43s  %-5s  %-5s  %-11s  %-20s  %s%n";
        out.printf(format, "KID", "ALG", "SIZE", "STATE", "SINCE", "ORIGIN");
        for (ManagedKey k : set.keys()) {
            out.printf(format, k.kid(), k.key().algorithm(), k.key().size(), k.state(), k.stateSince(), k.origin());
        }
        return 0;
    }
}
