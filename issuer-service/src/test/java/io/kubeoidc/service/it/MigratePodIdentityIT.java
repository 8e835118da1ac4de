package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code migrate pod-identity} through the real jar: the files it writes, checked by tools we did not write (bash
 * parses and runs the script against a recording az, PyYAML reads the manifests), and the summary it prints.
 */
class MigratePodIdentityIT {
    private static final String ISSUER = "https://oidc.example.com/cluster-a";
    private static final String SUBSCRIPTION = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

    @TempDir
    Path work;

    private static int bash(Path dir, String path, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(args).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("bash.log").toFile());
        pb.environment().put("PATH", path);
        return pb.start().waitFor();
    }

    private static List<String> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Each workload's kind, namespace, name, service account, webhook label and whether aadpodidbinding is there, as PyYAML reads them. */
    private static List<String> podTemplates(Path dir, String file) throws Exception {
        String py = "import sys, yaml\n"
                + "docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]\n"
                + "for d in docs:\n"
                + "    t = d if d['kind'] == 'Pod' else d['spec']['jobTemplate']['spec']['template'] if d['kind'] == 'CronJob'"
                + " else d['spec']['template']\n"
                + "    print(d['kind'], d['metadata']['namespace'], d['metadata']['name'], t['spec']['serviceAccountName'],"
                + " repr(t['metadata']['labels'].get('azure.workload.identity/use')), 'aadpodidbinding' in t['metadata']['labels'])\n";
        Files.writeString(dir.resolve("check.py"), py);
        assertThat(bash(dir, "/usr/bin:/bin", "/usr/bin/python3", "check.py", file)).isZero();
        return Files.readString(dir.resolve("bash.log")).lines().toList();
    }

    /** The side-by-side phase: the same service accounts, and the pods keep aadpodidbinding so NMI still answers. */
    @Test
    void keepAadpodidbindingLeavesTheLabelForTheSideBySidePhase() throws Exception {
        var r = JarProcess.run(work, "migrate", "pod-identity", "--issuer", ISSUER, "--out", "out", "--keep-aadpodidbinding",
                TestData.podIdentity("identities.yaml").toString(), TestData.podIdentity("workloads.yaml").toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(podTemplates(work, "out/workloads.yaml")).hasSize(6)
                .allSatisfy(line -> assertThat(line).endsWith(" 'true' True"));
    }

    @Test
    void writesManifestsScriptAndReportAndTheScriptCallsAzWithExactArguments() throws Exception {
        var r = JarProcess.runSeparated(work, "migrate", "pod-identity", "--issuer", ISSUER, "--out", "out",
                TestData.podIdentity("identities.yaml").toString(), TestData.podIdentity("workloads.yaml").toString());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stderr()).isEmpty();
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("migrated 6 workload(s) to 6 service account(s) (4 dedicated), 8 federated credential(s)");
        assertThat(lines).contains("Service principal secrets and certificates to remove after the move:",
                "AzurePodIdentityException resources (no equivalent in Workload Identity):",
                "Bindings whose selector matches no workload:", "Workloads that matched several identities:",
                "Workloads moved off their namespace's default service account:",
                "  - AzureIdentityBinding shop/stale-binding (selector 'retired-app', identity shop/legacy-sp) selects no"
                        + " workload in the input: no federated credential is made for it");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("wrote serviceaccounts.yaml, workloads.yaml,"
                + " federated-credentials.sh, migration-report.md to out");

        Path out = work.resolve("out");
        assertThat(entries(out)).containsExactly("federated-credentials.sh", "migration-report.md",
                "serviceaccounts.yaml", "workloads.yaml");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("federated-credentials.sh"))))
                .isEqualTo("rwxr-xr-x");
        assertThat(Files.readString(out.resolve("migration-report.md"))).startsWith("# Migration from AAD Pod Identity")
                .contains("## Bindings whose selector matches no workload\n\n- AzureIdentityBinding shop/stale-binding")
                .contains("| Deployment shop/orders | shop/orders | shop/orders-identity (`6f3a9c1e-2b4d-4e8f-9a1b-3c5d7e9f0a2b`),"
                        + " shop/reader (`0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a`) |");

        // PyYAML reads what kubectl would apply: the webhook's label is the string "true".
        assertThat(podTemplates(work, "out/workloads.yaml")).containsExactly(
                "CronJob billing invoices invoices-workload-identity 'true' False",
                "Deployment shop orders orders 'true' False",
                "StatefulSet shop ledger ledger-workload-identity 'true' False",
                "DaemonSet shop agent agent-workload-identity 'true' False",
                "Job shop once batch 'true' False",
                "Pod shop demo demo-workload-identity 'true' False");

        assertThat(bash(work, "/usr/bin:/bin", "bash", "-n", "out/federated-credentials.sh")).as("bash -n").isZero();
        RecordingCommand az = RecordingCommand.install(work.resolve("fake"), "az");
        assertThat(bash(work, az.path(), "bash", "out/federated-credentials.sh")).isZero();
        List<List<String>> calls = az.calls();
        assertThat(calls).hasSize(8);
        assertThat(calls.get(6)).containsExactly("identity", "federated-credential", "create", "--name=shop_orders",
                "--identity-name=orders-mi", "--resource-group=shop-identities", "--subscription=" + SUBSCRIPTION,
                "--issuer=" + ISSUER, "--subject=system:serviceaccount:shop:orders", "--audiences=api://AzureADTokenExchange");
        assertThat(calls.get(2)).hasSize(6).startsWith("ad", "app", "federated-credential", "create",
                "--id=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
        assertThat(com.nimbusds.jose.util.JSONObjectUtils.parse(calls.get(2).get(5).substring("--parameters=".length())))
                .containsEntry("name", "shop_batch").containsEntry("issuer", ISSUER)
                .containsEntry("subject", "system:serviceaccount:shop:batch")
                .containsEntry("audiences", List.of("api://AzureADTokenExchange"));
    }

    /** Values written to break out of the script's quoting reach az intact, as single arguments, and run nothing. */
    @Test
    void hostileValuesCannotInjectShell() throws Exception {
        var r = JarProcess.run(work, "migrate", "pod-identity", "--issuer", ISSUER, "--out", "out",
                TestData.podIdentity("bad/hostile.yaml").toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        Path out = work.resolve("out");
        assertThat(bash(work, "/usr/bin:/bin", "bash", "-n", "out/federated-credentials.sh")).as("bash -n").isZero();
        Path run = Files.createDirectories(work.resolve("run"));
        RecordingCommand az = RecordingCommand.install(work.resolve("fake"), "az");
        assertThat(bash(run, az.path(), "bash", out.resolve("federated-credentials.sh").toString())).isZero();
        assertThat(entries(run)).as("files the script created").containsExactly("bash.log");
        List<List<String>> calls = az.calls();
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0)).containsExactly("identity", "federated-credential", "create", "--name=shop_victim",
                "--identity-name=--help;touch${IFS}pwned-ifs",
                "--resource-group=rg'; touch pwned-quote; echo '`touch pwned-backtick`\"$HOME\"",
                "--subscription=$(touch pwned-subscription)", "--issuer=" + ISSUER,
                "--subject=system:serviceaccount:shop:victim", "--audiences=api://AzureADTokenExchange");
        assertThat(calls.get(1)).hasSize(6).startsWith("ad", "app", "federated-credential", "create",
                "--id=-x'$(touch pwned-client)'\nrm -rf .");
        // The newline in the client ID cannot start a line of its own in the report or on the terminal.
        assertThat(Files.readString(out.resolve("migration-report.md"))).contains("-x'$(touch pwned-client)'?rm -rf .")
                .doesNotContain("\nrm -rf");
        assertThat(r.output()).doesNotContain("\nrm -rf");
    }
}
