package io.kubeoidc.service.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Serve again, on purpose, the key set the store holds now: after a backup was put back, replicas",
                "refuse it as a rollback (its revision is below what they served). This re-commits it unchanged at a",
                "revision above every revision served so far, so every replica takes it. Keys that can no longer sign",
                "lose their private half. Needs --yes."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:Committed: the store serves the set at a new revision.", "1:Error or refusal (also without"
                + " --yes, after listing the consequences); nothing was changed.", ExitCodes.USAGE})
final class KeysRestoreCommand implements Callable<Integer>, StoreWriter {
    @Mixin
    StoreOptions dir;

    @Option(names = "--above-revision", paramLabel = "N", defaultValue = "0",
            description = "Commit above this revision too: the highest a replica served that is not running now"
                    + " (etcd: live replicas are read from etcd; the directory's high-water mark is read from it).")
    long aboveRevision;

    @Option(names = "--yes", description = "Confirm: keys in the restored set sign and publish again, revoked ones included.")
    boolean yes;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (aboveRevision < 0) {
            throw new IllegalArgumentException("--above-revision must be 0 or more, got " + aboveRevision);
        }
        if (!yes) {
            var err = spec.commandLine().getErr();
            err.println("Restoring serves the key set now in " + dir.store().describe() + " again, at a new revision:");
            err.println("  - every key in it is published and its ACTIVE key signs, even a key revoked since the backup;");
            err.println("  - replicas that refused it as a rollback take it within a second (etcd) or a check interval.");
            err.println("Nothing was changed. Re-run with --yes to proceed.");
            return 1;
        }
        long above = Math.max(aboveRevision, dir.highestAnnouncedRevision());
        var restored = dir.store().restore(above);
        var set = restored.keySet();
        out.println("restored: " + dir.store().describe() + " serves revision " + set.revision() + " (above revision "
                + above + "), kids " + String.join(", ", set.kids()) + "; active "
                + set.active().map(k -> k.kid()).orElse("none"));
        return 0;
    }
}
