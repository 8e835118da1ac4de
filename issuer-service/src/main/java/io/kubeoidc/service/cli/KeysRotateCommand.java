package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.ManualRotation;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "rotate", mixinStandardHelpOptions = true,
        description = {"Start a rotation now: a new NEXT key is published; it activates only after every publication",
                "target confirms it and publish-ahead has passed.",
                "With --emergency --revoke KID (for a leaked key): remove KID from every document at once and",
                "activate a new key at once."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.COMMITTED, "1:Error or refusal (also --emergency without --yes, after listing the"
                + " consequences); nothing was changed.", ExitCodes.USAGE})
final class KeysRotateCommand implements Callable<Integer>, StoreWriter {
    @Mixin
    StoreOptions dir;

    @Option(names = "--emergency", description = "Revoke a leaked key at once (needs --revoke and --yes).")
    boolean emergency;

    @Option(names = "--revoke", paramLabel = "KID", description = "The leaked key to remove from every document.")
    String revoke;

    @Option(names = "--yes", description = "Confirm the emergency revocation and its consequences.")
    boolean yes;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Why: recorded with the change, and in the running service's audit line.")
    String reason;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!emergency && (revoke != null || yes)) {
            throw new UsageException("--revoke and --yes belong to --emergency");
        }
        if (emergency && revoke == null) {
            throw new UsageException("--emergency needs --revoke KID (the leaked key)");
        }
        var out = spec.commandLine().getOut();
        var policy = dir.policy();
        if (!emergency) {
            dir.apply(s -> ManualRotation.rotateNow(s.keySet(), policy, Instant.now(), dir::generate),
                    StoreOptions.note("keys rotate", reason), out);
            return 0;
        }
        if (!yes) {
            // The consequences of revoking this key, so only for a kid that is in the store.
            ManagedKey key = ManualRotation.known(dir.store().load().keySet(), revoke);
            var err = spec.commandLine().getErr();
            err.println("Emergency revocation of " + revoke + " (" + key.state() + ") will:");
            err.println("  - remove it from the JWKS at once: every token it signed stops verifying, so workloads");
            err.println("    holding such tokens fail until kubelet refreshes them (at 80% of their lifetime);");
            err.println("  - if it was signing, make a new key sign at once, before relying parties have fetched it:");
            err.println("    Entra ID may reject new tokens until its cached JWKS expires;");
            err.println("  - in key-files mode, change sa.key and sa.pub: restart kube-apiserver and kube-controller-manager.");
            err.println("Nothing was changed. Re-run with --yes to proceed.");
            return 1;
        }
        dir.apply(s -> ManualRotation.emergencyRevoke(s.keySet(), revoke, policy, Instant.now(), dir::generate),
                StoreOptions.note("keys rotate --emergency --revoke " + revoke, reason), out);
        return 0;
    }
}
