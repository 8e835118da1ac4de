package io.kubeoidc.service.cli;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.service.migrate.PodIdentityMigration;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pod-identity", mixinStandardHelpOptions = true,
        description = {"Translate AAD Pod Identity resources and the workloads that use them into Workload Identity, for review.",
                "Reads AzureIdentity, AzureIdentityBinding, AzurePodIdentityException, Deployment, StatefulSet, DaemonSet,"
                        + " Job, CronJob and Pod resources as kubectl get -o yaml prints them (one document, several, or a List).",
                "Writes DIR/serviceaccounts.yaml, DIR/workloads.yaml, DIR/federated-credentials.sh (az commands) and"
                        + " DIR/migration-report.md, which lists what needs a human; the terminal shows its summary.",
                "Every file is read and checked first: with bad input nothing is written. Steps:"
                        + " docs/migrate-from-pod-identity.md."},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {"0:Written; the summary lists what needs a human.", ExitCodes.WRITE_FAILED, ExitCodes.USAGE})
final class MigratePodIdentityCommand implements Callable<Integer>, StoreWriter {
    @Option(names = "--issuer", required = true, paramLabel = "URL",
            description = "This issuer's URL (issuer.url), exactly: Entra compares it character for character.")
    String issuer;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the files (created if missing).")
    Path out;

    @Option(names = "--keep-aadpodidbinding",
            description = "Keep the aadpodidbinding label on the workloads, for a side-by-side phase in which NMI still"
                    + " answers them; run again without it for the final manifests.")
    boolean keepBindingLabel;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "YAML files from kubectl get -o yaml.")
    List<Path> files;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        IssuerConfig.of(issuer, null, false); // a credential for an issuer Entra refuses would never work
        PodIdentityMigration migration = PodIdentityMigration.plan(files, issuer, keepBindingLabel);
        migration.write(out);
        var stdout = spec.commandLine().getOut();
        migration.summary().forEach(stdout::println);
        stdout.println("wrote " + String.join(", ", List.of(PodIdentityMigration.SERVICE_ACCOUNTS,
                PodIdentityMigration.WORKLOADS, PodIdentityMigration.SCRIPT, PodIdentityMigration.REPORT)) + " to " + out);
        return 0;
    }
}
