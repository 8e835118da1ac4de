package io.kubeoidc.service.cli;

import picocli.CommandLine.Command;

@Command(name = "migrate", mixinStandardHelpOptions = true, subcommands = MigratePodIdentityCommand.class,
        description = "Move workloads to Workload Identity with this issuer.")
final class MigrateCommand {
}
