package io.kubeoidc.service.cli;

import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.sealing.InvalidKeyEncryptionKeyException;
import io.kubeoidc.store.KeyStoreException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The jar's command-line face. Expected failures print one line and exit 1 (writing commands add "nothing was
 * changed"); usage errors exit 2 with the synopsis. Output is flushed before the JVM exits.
 */
@Command(name = "issuer-service", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        subcommands = {KeysCommand.class, HaCommand.class, DoctorCommand.class, RenderCommand.class, MigrateCommand.class,
                CompletionCommand.class, CommandLine.HelpCommand.class},
        customSynopsis = {"issuer-service [--PROPERTY=VALUE...]    (runs the service)",
                "       issuer-service COMMAND [OPTION...]       (runs a command and exits)",
                "       where issuer-service is java -jar issuer-service.jar"},
        description = {"Self-hosted OIDC issuer for Kubernetes service accounts.",
                "Without a command it runs the service, configured with --issuer.* properties, their ISSUER_* environment"
                        + " variables or application.properties (docs/configuration.md)."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:Help or version printed.",
                "1:(the service, without a command) It refused its configuration; the log says why.",
                "2:Usage error: unknown command or option."})
public final class Cli {
    private static final Set<String> HELP_OR_VERSION = Set.of("-h", "--help", "-V", "--version");

    /**
     * Whether the arguments are for the CLI rather than the service: a command, any option the service does not
     * take (its own are all --property=value), or help and version anywhere, so they never start the service.
     */
    public static boolean handles(String... args) {
        return args.length > 0 && (!args[0].startsWith("--") || List.of(args).stream().anyMatch(HELP_OR_VERSION::contains));
    }

    public static int run(String... args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        try {
            return commandLine(out, err).execute(args);
        } finally {
            // Auto-flush covers println only: a command that ends with print() would lose its output at exit.
            out.flush();
            err.flush();
        }
    }

    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Cli());
        cli.setOut(out);
        cli.setErr(err);
        applyToEveryCommand(cli);
        cli.setParameterExceptionHandler((e, args) -> usageError(e.getCommandLine(), e.getMessage(),
                e instanceof UnmatchedArgumentException u ? u : null));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof UsageException) {
                return usageError(cmd, e.getMessage(), null);
            }
            if (e instanceof KeyFileException || e instanceof KeyStoreException || e instanceof IllegalStateException
                    || e instanceof io.kubeoidc.custody.KeyCustodyException
                    || e instanceof IllegalArgumentException || e instanceof InvalidKeyEncryptionKeyException) {
                cmd.getErr().println("error: " + e.getMessage());
                if (cmd.getCommandSpec().userObject() instanceof StoreWriter) {
                    cmd.getErr().println("nothing was changed");
                }
                return 1;
            }
            throw e;
        });
        return cli;
    }

    /** The message, picocli's "did you mean" for a typo, the synopsis, and where the full help is. */
    private static int usageError(CommandLine cmd, String message, UnmatchedArgumentException unmatched) {
        PrintWriter err = cmd.getErr();
        err.println("error: " + message);
        if (unmatched != null) {
            UnmatchedArgumentException.printSuggestions(unmatched, err);
        }
        Help help = cmd.getHelp();
        err.print(help.synopsisHeading() + help.synopsis(help.synopsisHeadingLength()));
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * What every command shares, set here so no command can forget it: the build's version for -V, help that
     * lists each subcommand with its whole first sentence, and an exit-code list.
     */
    private static void applyToEveryCommand(CommandLine cmd) {
        CommandSpec spec = cmd.getCommandSpec();
        spec.versionProvider(new BuildVersion());
        cmd.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Cli::commandList);
        if (spec.usageMessage().exitCodeList().isEmpty()) {
            String[] codes = spec.userObject() instanceof CommandLine.HelpCommand
                    ? new String[] {"0:Help printed.", "2:Usage error: an unknown command."}
                    : !spec.subcommands().isEmpty()
                    ? new String[] {"0:Help or version printed.", "2:Usage error: no command, or an unknown one."}
                    : new String[] {"0:Success.", ExitCodes.FAILED, ExitCodes.USAGE};
            spec.usageMessage().exitCodeListHeading(ExitCodes.HEADING).exitCodeList(exitCodes(codes));
        }
        cmd.getSubcommands().values().forEach(Cli::applyToEveryCommand);
    }

    private static java.util.Map<String, String> exitCodes(String... entries) {
        var map = new java.util.LinkedHashMap<String, String>();
        for (String e : entries) {
            int colon = e.indexOf(':');
            map.put(e.substring(0, colon), e.substring(colon + 1));
        }
        return map;
    }

    /** Picocli lists a subcommand with the first line of its description; this lists its first whole sentence. */
    private static String commandList(Help help) {
        var subcommands = help.subcommands();
        if (subcommands.isEmpty()) {
            return "";
        }
        int nameWidth = subcommands.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
        int width = help.commandSpec().usageMessage().width();
        Help.TextTable table = Help.TextTable.forColumns(help.colorScheme(),
                new Help.Column(nameWidth + 2, 2, Help.Column.Overflow.SPAN),
                new Help.Column(width - nameWidth - 2, 2, Help.Column.Overflow.WRAP));
        subcommands.forEach((name, sub) -> table.addRowValues(name, summary(sub.commandSpec())));
        return table.toString();
    }

    static String summary(CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        String text = header.length > 0 ? header[0] : String.join(" ", spec.usageMessage().description());
        text = text.replace("%n", " ").replaceAll("\\s+", " ").strip();
        int end = text.indexOf(". ");
        return end < 0 ? text : text.substring(0, end + 1);
    }
}
