package io.kubeoidc.service.cli;

import io.kubeoidc.rotation.ManualRotation;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "remove", mixinStandardHelpOptions = true,
        description = "Remove an imported VERIFY_ONLY key from the documents (tokens it signed stop verifying).",
        exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {"0:Committed.", ExitCodes.WRITE_FAILED, ExitCodes.USAGE})
final class KeysRemoveCommand implements Callable<Integer>, StoreWriter {
    @Mixin
    StoreOptions dir;

    @Parameters(paramLabel = "KID", description = "The kid, as `keys list` prints it.")
    String kid;

    @picocli.CommandLine.Option(names = "--reason", paramLabel = "TEXT",
            description = "Why: recorded with the change, and in the running service's audit line.")
    String reason;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        dir.apply(s -> ManualRotation.removeVerifyOnly(s.keySet(), kid, Instant.now()),
                StoreOptions.note("keys remove " + kid, reason), spec.commandLine().getOut());
        return 0;
    }
}
