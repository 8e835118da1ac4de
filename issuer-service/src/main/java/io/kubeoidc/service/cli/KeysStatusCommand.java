package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.rotation.Schedule;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "The key table (kid, alg, state, since, next transition and what gates it) and the rotation policy.")
final class KeysStatusCommand implements Callable<Integer> {
    @Mixin
    StoreOptions dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        var set = dir.loadOrSayEmpty(out);
        RotationPolicy policy = dir.policy();
        boolean fromService = dir.store().recordedPolicy().isPresent();
        if (set != null) {
            String format = "%-43s  %-5s  %-11s  %-20s  %-20s  %s%n";
            out.printf(format, "KID", "ALG", "STATE", "SINCE", "NEXT AT", "NEXT");
            for (ManagedKey k : set.keys()) {
                Schedule s = Schedule.of(k, set, policy);
                out.printf(format, k.kid(), k.key().algorithm(), k.state(), k.stateSince(),
                        s.at() == null ? "-" : s.at(), s.what());
            }
        }
        out.println();
        out.println("policy" + (fromService ? " (as the service last ran)" : " (defaults: the service has not run here)")
                + ": period " + policy.period() + ", publish-ahead " + policy.publishAhead() + ", retention "
                + policy.retention() + ", max token lifetime " + policy.maxTokenLifetime() + ", algorithm "
                + policy.keySpec().label() + ", max-keys " + policy.maxKeys());
        out.println("store revision " + (set == null ? 0 : set.revision()));
        return 0;
    }
}
