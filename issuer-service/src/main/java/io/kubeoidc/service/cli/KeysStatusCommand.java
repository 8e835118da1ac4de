package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.rotation.Schedule;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "The key table (kid, alg, state, since, next transition and what gates it) and the rotation policy.",
        exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.PRINTED, ExitCodes.READ_FAILED, ExitCodes.USAGE})
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
        Instant now = Instant.now();
        if (set != null) {
            Table table = new Table("KID", "ALG", "STATE", "SINCE", "NEXT AT", "NEXT");
            for (ManagedKey k : set.keys()) {
                Schedule s = Schedule.of(k, set, policy);
                table.row(k.kid(), k.key().algorithm(), k.state(), DurationText.when(k.stateSince(), now),
                        DurationText.when(s.at(), now), s.what());
            }
            table.print(out, "");
        }
        out.println();
        out.println("policy" + (fromService ? " (as the service last ran)" : " (defaults: the service has not run here)")
                + ": period " + DurationText.format(policy.period()) + ", publish-ahead " + DurationText.format(policy.publishAhead())
                + ", retention " + DurationText.format(policy.retention()) + ", max token lifetime "
                + DurationText.format(policy.maxTokenLifetime()) + ", algorithm " + policy.keySpec().label()
                + ", max-keys " + policy.maxKeys());
        out.println("store revision " + (set == null ? 0 : set.revision()));
        var custody = dir.custody();
        out.println("private keys: " + custody.location());
        if (set != null && !custody.keepsPrivateKeysInStore()) {
            // Listed after the revision was read, as the service's sweep does; this command destroys nothing.
            var named = set.keys().stream().filter(ManagedKey::hasPrivateKey).map(ManagedKey::kid)
                    .collect(java.util.stream.Collectors.toSet());
            var orphans = new java.util.TreeSet<>(custody.kids());
            orphans.removeAll(named);
            out.println(orphans.isEmpty() ? "orphans: none" : "orphans (on " + custody.location() + ", named by no key set;"
                    + " the service destroys each once a later commit still does not name it): " + String.join(", ", orphans));
        }
        return 0;
    }
}
