package io.kubeoidc.service.cli;

import picocli.CommandLine.Command;

@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the key store.",
        subcommands = {KeysImportCommand.class, KeysListCommand.class})
final class KeysCommand {
}
