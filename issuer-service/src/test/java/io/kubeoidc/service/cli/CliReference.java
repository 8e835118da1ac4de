package io.kubeoidc.service.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help;

/**
 * docs/cli.md, generated from the commands' own model: each command's help as `--help` prints it, and one table
 * of every exit code. {@link CliReferenceTest} fails when the page is out of date; this main rewrites it
 * (run: ./mvnw -B -ntp -q -pl issuer-service -am test -Dtest=CliReferenceTest -Dcli.reference.update=true).
 */
final class CliReference {
    static final Path DOC = Path.of("../docs/cli.md");
    private static final int WIDTH = 100;

    private CliReference() {}

    static String render() {
        CommandLine root = Cli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        List<CommandLine> all = new ArrayList<>();
        collect(root, all);
        StringBuilder md = new StringBuilder();
        md.append("""
                # Command-line reference

                <!-- Generated from the commands by issuer-service/src/test/java/io/kubeoidc/service/cli/CliReference.java;
                     CliReferenceTest fails when this page is out of date. Edit the commands, then run
                     ./mvnw -B -ntp -q -pl issuer-service -am test -Dtest=CliReferenceTest -Dcli.reference.update=true -->

                `java -jar issuer-service.jar` runs the service; with a command (below), `--help` or `--version` it
                runs that command and exits, without starting the service or touching `./data`. Every command takes
                `-h`/`--help` and `-V`/`--version` (the build's version, the same as `build.version` in
                `/actuator/info`).

                Conventions: exit 0 is success; 1 is an error the command explains in one line (commands that write
                the key store add `nothing was changed`: their commit is the last, atomic step); 2 is a usage error,
                printed with the synopsis. Human output shows times as ISO-8601 to the second with a relative part
                (`2026-01-05T10:00:00Z (in 29 d)`) and durations as `30 d`, `1 h 30 min`; the transition lines that
                `keys rotate|remove` print are the service's audit-log lines and keep ISO-8601 (`PT24H`).

                Shell completion (bash; zsh after `autoload -U bashcompinit; bashcompinit`):

                ```sh
                alias issuer-service='java -jar /path/to/issuer-service.jar'
                source <(issuer-service completion)
                ```

                ## Exit codes

                | command | exit code | meaning |
                |---|---|---|
                """);
        for (CommandLine cmd : all) {
            String name = cmd.getCommandSpec().qualifiedName();
            boolean first = true;
            for (var e : cmd.getCommandSpec().usageMessage().exitCodeList().entrySet()) {
                md.append("| ").append(first ? "`" + name + "`" : "").append(" | ").append(e.getKey().strip())
                        .append(" | ").append(e.getValue().strip().replace("|", "\\|")).append(" |\n");
                first = false;
            }
        }
        for (CommandLine cmd : all) {
            md.append("\n## ").append(cmd.getCommandSpec().qualifiedName()).append("\n\n```text\n");
            cmd.getCommandSpec().usageMessage().width(WIDTH);
            md.append(cmd.getUsageMessage(Help.Ansi.OFF).stripTrailing()).append("\n```\n");
        }
        return md.toString();
    }

    private static void collect(CommandLine cmd, List<CommandLine> into) {
        into.add(cmd);
        cmd.getSubcommands().values().forEach(sub -> collect(sub, into));
    }

    public static void main(String[] args) throws Exception {
        Files.writeString(DOC, render());
    }
}
