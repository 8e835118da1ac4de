package io.kubeoidc.service.migrate;

import java.util.List;
import java.util.stream.Collectors;

/** What the migration did and what needs a human: a Markdown file for review, and a summary for the terminal. */
final class MigrationReport {
    private MigrationReport() {}

    static String markdown(MigrationPlan plan, List<String> files) {
        StringBuilder b = new StringBuilder("# Migration from AAD Pod Identity to Workload Identity\n\n");
        b.append("Issuer: `").append(Text.printable(plan.issuer())).append("`. Files: ")
                .append(files.stream().map(f -> "`" + f + "`").collect(Collectors.joining(", ")))
                .append(". The steps are in docs/migrate-from-pod-identity.md.\n\n");
        b.append("## Workloads\n\n");
        if (plan.workloads().isEmpty()) {
            b.append("None: no workload in the input has an `aadpodidbinding` label that a binding selects.\n\n");
        } else {
            b.append("| workload | service account | identities |\n|---|---|---|\n");
            for (MigratedWorkload m : plan.workloads()) {
                b.append("| ").append(m.workload().ref()).append(" | ").append(m.workload().namespace()).append('/')
                        .append(m.serviceAccount()).append(" | ").append(identities(m.identities())).append(" |\n");
            }
            b.append('\n');
        }
        b.append("## Federated credentials\n\n").append(plan.credentials().size())
                .append(" in `federated-credentials.sh`, each with audience `").append(FederatedCredential.AUDIENCE)
                .append("`.\n\n");
        for (Finding.Category category : Finding.Category.values()) {
            List<Finding> findings = plan.findings(category);
            if (findings.isEmpty()) {
                continue;
            }
            b.append("## ").append(category.title).append("\n\n");
            findings.forEach(f -> b.append("- ").append(markdownText(f.text())).append('\n'));
            b.append('\n');
        }
        return b.toString();
    }

    /** The terminal's share: counts, then every finding that needs a human, one line each. */
    static List<String> summary(MigrationPlan plan) {
        List<String> lines = new java.util.ArrayList<>();
        lines.add("migrated " + plan.workloads().size() + " workload(s) to " + plan.serviceAccounts().size()
                + " service account(s) (" + plan.serviceAccounts().stream().filter(ServiceAccountPlan::dedicated).count()
                + " dedicated), " + plan.credentials().size() + " federated credential(s)");
        for (Finding.Category category : Finding.Category.values()) {
            List<Finding> findings = plan.findings(category);
            if (!findings.isEmpty()) {
                lines.add(category.title + ":");
                findings.forEach(f -> lines.add("  - " + f.text()));
            }
        }
        return lines;
    }

    private static String identities(List<AzureIdentity> ids) {
        return ids.stream().map(i -> i.ref() + " (`" + Text.printable(i.clientId()).replace("`", "'") + "`)")
                .collect(Collectors.joining(", "));
    }

    /** Names are Kubernetes names, but client IDs and secrets are free text: keep them from forming Markdown. */
    private static String markdownText(String text) {
        return text.replaceAll("([\\\\`*_\\[\\]<>|])", "\\\\$1");
    }
}
