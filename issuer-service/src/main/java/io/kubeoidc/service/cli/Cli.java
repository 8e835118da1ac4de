package io.kubeoidc.service.cli;

import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.sealing.InvalidKeyEncryptionKeyException;
import io.kubeoidc.store.KeyStoreException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jar's command-line face. Expected failures print one line and exit 1; usage errors exit 2. */
@Command(name = "issuer-service", mixinStandardHelpOptions = true, subcommands = {KeysCommand.class, HaCommand.class, DoctorCommand.class, RenderCommand.class},
        description = "Self-hosted OIDC issuer for Kubernetes service accounts. Without a command, runs the service.")
public final class Cli {

    public static int run(String... args) {
        return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
    }

    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Cli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof KeyFileException || e instanceof KeyStoreException || e instanceof IllegalStateException
                    || e instanceof IllegalArgumentException || e instanceof InvalidKeyEncryptionKeyException) {
                cmd.getErr().println("error: " + e.getMessage());
                cmd.getErr().println("nothing was changed");
                return 1;
            }
            throw e;
        });
        return cli;
    }
}
