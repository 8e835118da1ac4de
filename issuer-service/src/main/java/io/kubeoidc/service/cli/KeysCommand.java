package io.kubeoidc.service.cli;

import picocli.CommandLine.Command;

@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the key store.",
        subcommands = {KeysImportCommand.class, KeysListCommand.class, KeysStatusCommand.class,
                KeysRotateCommand.class, KeysRemoveCommand.class, KeysRestoreCommand.class,
                KeysResealCommand.class})
final class KeysCommand {
}
