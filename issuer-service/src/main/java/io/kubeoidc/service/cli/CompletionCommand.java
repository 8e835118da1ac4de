package io.kubeoidc.service.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Bash (and zsh, through bashcompinit) completion of every command and option, generated from the same model as the help. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a bash completion script for the command `issuer-service` (zsh: run `autoload -U"
                + " bashcompinit; bashcompinit` first).",
                "Load it with `source <(issuer-service completion)`, with issuer-service on the PATH or defined as",
                "`alias issuer-service='java -jar /path/to/issuer-service.jar'`."},
        exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.PRINTED, ExitCodes.USAGE})
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(AutoComplete.bash(spec.root().name(), spec.root().commandLine()));
        return 0;
    }
}
