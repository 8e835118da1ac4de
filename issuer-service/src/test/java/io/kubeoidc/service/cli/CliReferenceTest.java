package io.kubeoidc.service.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** docs/cli.md is the commands' own help: a changed option or exit code that is not in the page fails here. */
class CliReferenceTest {

    @Test
    void docsCliMdIsUpToDate() throws Exception {
        String expected = CliReference.render();
        if (Boolean.getBoolean("cli.reference.update")) {
            Files.writeString(CliReference.DOC, expected);
        }
        assertThat(Files.readString(CliReference.DOC))
                .as("docs/cli.md is out of date; regenerate it with -Dtest=CliReferenceTest -Dcli.reference.update=true")
                .isEqualTo(expected);
    }

    @Test
    void everyCommandDocumentsItsExitCodes() {
        assertThat(CliReference.render()).doesNotContain("| `issuer-service keys list` | |");
        var root = Cli.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()), new java.io.PrintWriter(java.io.Writer.nullWriter()));
        root.getSubcommands().values().forEach(sub -> assertThat(sub.getCommandSpec().usageMessage().exitCodeList())
                .as(sub.getCommandSpec().qualifiedName()).containsKeys("0", "2"));
    }
}
