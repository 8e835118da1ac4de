package io.kubeoidc.service.cli;

import picocli.CommandLine.Command;

@Command(name = "ha", mixinStandardHelpOptions = true, subcommands = HaStatusCommand.class,
        description = "A replica group sharing one key set through etcd (issuer.keys.store=etcd).")
final class HaCommand {
}
