package io.kubeoidc.service.migrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The translation, on manifests written from the aad-pod-identity documentation (src/test/resources/pod-identity):
 * the expected service accounts, workloads, commands and findings are written out by hand below.
 */
class PodIdentityMigrationTest {
    private static final String ISSUER = "https://oidc.example.com/cluster-a";
    private static final String ORDERS_MI = "6f3a9c1e-2b4d-4e8f-9a1b-3c5d7e9f0a2b";
    private static final String READER_MI = "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a";
    private static final String LEGACY_SP = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
    private static final String CERT_SP = "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90";
    private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String SUBSCRIPTION = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(PodIdentityMigrationTest.class.getResource("/pod-identity/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MigrationPlan documented() {
        List<Manifest> manifests = new ArrayList<>(ManifestReader.read(fixture("identities.yaml")));
        manifests.addAll(ManifestReader.read(fixture("workloads.yaml")));
        return MigrationPlan.of(PodIdentityInput.of(manifests), ISSUER);
    }

    private static List<Map<String, Object>> yamlDocuments(String text) {
        List<Map<String, Object>> docs = new ArrayList<>();
        new Yaml().loadAll(text).forEach(d -> docs.add(Tree.map(d)));
        return docs;
    }

    // ------------------------------------------------------------------------------------------ reading

    @Test
    void readsAListMultipleDocumentsAndASingleOne() throws Exception {
        assertThat(ManifestReader.read(fixture("identities.yaml"))).hasSize(10)
                .allSatisfy(m -> assertThat(m.where()).matches(".*identities.yaml, document 1, item \\d+"));
        assertThat(ManifestReader.read(fixture("workloads.yaml"))).extracting(Manifest::kind).containsExactly(
                "Deployment", "StatefulSet", "DaemonSet", "Job", "Deployment", "Pod", "Pod", "CronJob", "Deployment");
        Path single = Files.writeString(tmp.resolve("single.yaml"), """
                apiVersion: aadpodidentity.k8s.io/v1
                kind: AzureIdentityBinding
                metadata: {name: b, namespace: ns}
                spec: {azureIdentity: i, selector: s}
                ---
                """);
        assertThat(ManifestReader.read(single)).singleElement().satisfies(m -> assertThat(m.describe())
                .isEqualTo(single + ", document 1: AzureIdentityBinding ns/b"));
    }

    // ------------------------------------------------------------------------------------------ the plan

    @Test
    void eachLabelledWorkloadMovesToAServiceAccountFederatedToItsIdentities() {
        MigrationPlan plan = documented();
        assertThat(plan.workloads()).extracting(m -> m.workload().ref() + " -> " + m.serviceAccount() + " "
                + m.identities().stream().map(AzureIdentity::ref).toList()).containsExactly(
                "CronJob billing/invoices -> invoices-workload-identity [billing/cert-sp]",
                "Deployment shop/orders -> orders [shop/orders-identity, shop/reader]",
                "StatefulSet shop/ledger -> ledger-workload-identity [shop/legacy-sp]",
                "DaemonSet shop/agent -> agent-workload-identity [shop/legacy-sp]",
                "Job shop/once -> batch [shop/legacy-sp]",
                "Pod shop/demo -> demo-workload-identity [shop/orders-identity, shop/reader]");
        assertThat(plan.credentials()).extracting(c -> c.identity().ref() + " " + c.subject() + " " + c.name()).containsExactly(
                "billing/cert-sp system:serviceaccount:billing:invoices-workload-identity billing_invoices-workload-identity",
                "shop/legacy-sp system:serviceaccount:shop:agent-workload-identity shop_agent-workload-identity",
                "shop/legacy-sp system:serviceaccount:shop:batch shop_batch",
                "shop/orders-identity system:serviceaccount:shop:demo-workload-identity shop_demo-workload-identity",
                "shop/reader system:serviceaccount:shop:demo-workload-identity shop_demo-workload-identity",
                "shop/legacy-sp system:serviceaccount:shop:ledger-workload-identity shop_ledger-workload-identity",
                "shop/orders-identity system:serviceaccount:shop:orders shop_orders",
                "shop/reader system:serviceaccount:shop:orders shop_orders");
    }

    @Test
    void serviceAccountsCarryTheClientIdAndTheTenantWhereKnown() {
        List<Map<String, Object>> docs = yamlDocuments(WorkloadManifests.serviceAccounts(documented()));
        assertThat(docs).hasSize(6).allSatisfy(d -> assertThat(d).containsEntry("apiVersion", "v1")
                .containsEntry("kind", "ServiceAccount"));
        assertThat(docs.get(0).get("metadata")).isEqualTo(Map.of("name", "invoices-workload-identity", "namespace", "billing",
                "annotations", Map.of("azure.workload.identity/client-id", CERT_SP, "azure.workload.identity/tenant-id", TENANT)));
        assertThat(docs.get(2).get("metadata")).isEqualTo(Map.of("name", "batch", "namespace", "shop",
                "annotations", Map.of("azure.workload.identity/client-id", LEGACY_SP, "azure.workload.identity/tenant-id", TENANT)));
        // A managed identity's AzureIdentity has no tenant: the webhook's own AZURE_TENANT_ID applies.
        assertThat(docs.get(5).get("metadata")).isEqualTo(Map.of("name", "orders", "namespace", "shop",
                "annotations", Map.of("azure.workload.identity/client-id", ORDERS_MI)));
    }

    @Test
    void workloadsRunAsTheNewServiceAccountWithTheWebhookLabelAndWithoutServerFields() {
        List<Map<String, Object>> docs = yamlDocuments(WorkloadManifests.workloads(documented(), false));
        assertThat(docs).hasSize(6);
        Map<String, Object> orders = docs.get(1);
        assertThat(orders).doesNotContainKey("status");
        assertThat(Tree.map(orders.get("metadata"))).isEqualTo(Map.of("name", "orders", "namespace", "shop",
                "labels", Map.of("app", "orders"), "annotations", Map.of("team", "orders")));
        Map<String, Object> template = Tree.at(orders, List.of("spec", "template"));
        assertThat(Tree.map(template.get("metadata"))).isEqualTo(Map.of("labels",
                Map.of("app", "orders", "azure.workload.identity/use", "true")));
        assertThat(Tree.map(template.get("spec"))).containsEntry("serviceAccountName", "orders")
                .containsEntry("containers", List.of(Map.of("image", "registry.example.com/orders:1.4.2", "name", "orders")));
        assertThat(Tree.at(orders, List.of("spec", "selector"))).isEqualTo(Map.of("matchLabels", Map.of("app", "orders")));
        // The label must be the string "true": the webhook's object selector does not match a boolean.
        assertThat(WorkloadManifests.workloads(documented(), false)).contains("azure.workload.identity/use: 'true'");

        Map<String, Object> agent = Tree.at(docs.get(3), List.of("spec", "template", "spec"));
        assertThat(agent).containsEntry("serviceAccountName", "agent-workload-identity").doesNotContainKey("serviceAccount");
        Map<String, Object> cron = Tree.at(docs.get(0), List.of("spec", "jobTemplate", "spec", "template"));
        assertThat(Tree.at(cron, List.of("metadata", "labels"))).isEqualTo(Map.of("azure.workload.identity/use", "true"));
        assertThat(Tree.map(cron.get("spec"))).containsEntry("serviceAccountName", "invoices-workload-identity");
        Map<String, Object> pod = docs.get(5);
        assertThat(Tree.at(pod, List.of("metadata", "labels"))).isEqualTo(Map.of("azure.workload.identity/use", "true"));
        assertThat(Tree.map(pod.get("spec"))).containsEntry("serviceAccountName", "demo-workload-identity");
    }

    @Test
    void sideBySideTheBindingLabelStaysAndAJobLosesWhatItsControllerGenerated() {
        List<Map<String, Object>> docs = yamlDocuments(WorkloadManifests.workloads(documented(), true));
        assertThat(Tree.at(docs.get(1), List.of("spec", "template", "metadata", "labels"))).isEqualTo(Map.of(
                "aadpodidbinding", "orders", "app", "orders", "azure.workload.identity/use", "true"));
        Map<String, Object> job = docs.get(4);
        assertThat(Tree.map(job.get("spec"))).doesNotContainKey("selector");
        assertThat(Tree.at(job, List.of("spec", "template", "metadata", "labels"))).isEqualTo(Map.of(
                "aadpodidbinding", "legacy", "azure.workload.identity/use", "true"));
    }

    @Test
    void theReportListsWhatNeedsAHuman() {
        MigrationPlan plan = documented();
        assertThat(plan.findings(Finding.Category.SECRET)).extracting(Finding::text).containsExactly(
                "AzureIdentity shop/legacy-sp (service principal with a client secret, client ID " + LEGACY_SP + "): once"
                        + " its workloads run on Workload Identity, remove the client secret from the app registration"
                        + " (az ad app credential list / delete --id CLIENT_ID --key-id KEY_ID) and delete Secret"
                        + " shop/legacy-sp-secret",
                "AzureIdentity billing/cert-sp (service principal with a certificate, client ID " + CERT_SP + "): once its"
                        + " workloads run on Workload Identity, remove the certificate from the app registration"
                        + " (az ad app credential list / delete --id CLIENT_ID --key-id KEY_ID) and delete Secret"
                        + " billing/cert-sp-secret");
        assertThat(plan.findings(Finding.Category.EXCEPTION)).extracting(Finding::text).containsExactly(
                "AzurePodIdentityException shop/test-exception (pod labels {app=custom, foo=bar}): Workload Identity does"
                        + " not intercept IMDS, so there is nothing to except; delete it with aad-pod-identity");
        assertThat(plan.findings(Finding.Category.UNUSED_BINDING)).extracting(Finding::text).containsExactly(
                "AzureIdentityBinding shop/stale-binding (selector 'retired-app', identity shop/legacy-sp) selects no"
                        + " workload in the input: no federated credential is made for it");
        assertThat(plan.findings(Finding.Category.SEVERAL_IDENTITIES)).extracting(Finding::text).containsExactly(
                "Deployment shop/orders matched 2 identities (shop/orders-identity, shop/reader) through"
                        + " shop/orders-binding, shop/reader-binding. Its service account is federated to each; the"
                        + " azure.workload.identity/client-id annotation names shop/orders-identity, so code that used"
                        + " another must ask for that client ID itself (for example AZURE_CLIENT_ID in its container)",
                "Pod shop/demo matched 2 identities (shop/orders-identity, shop/reader) through shop/orders-binding,"
                        + " shop/reader-binding. Its service account is federated to each; the"
                        + " azure.workload.identity/client-id annotation names shop/orders-identity, so code that used"
                        + " another must ask for that client ID itself (for example AZURE_CLIENT_ID in its container)");
        assertThat(plan.findings(Finding.Category.DEDICATED)).extracting(Finding::text).containsExactly(
                "CronJob billing/invoices ran as billing/default and moves to billing/invoices-workload-identity: a"
                        + " credential federated to the default service account would hand the identity to every pod of"
                        + " the namespace",
                "StatefulSet shop/ledger ran as shop/default and moves to shop/ledger-workload-identity: a credential"
                        + " federated to the default service account would hand the identity to every pod of the namespace",
                "DaemonSet shop/agent ran as shop/default and moves to shop/agent-workload-identity: a credential"
                        + " federated to the default service account would hand the identity to every pod of the namespace",
                "Pod shop/demo ran as shop/default and moves to shop/demo-workload-identity: a credential federated to"
                        + " the default service account would hand the identity to every pod of the namespace");
        assertThat(plan.findings(Finding.Category.NOTE)).extracting(Finding::text).containsExactly(
                "Deployment preview/invoices-preview has aadpodidbinding=invoices, which no AzureIdentityBinding in the"
                        + " input selects for it: it had no identity, so it is left out",
                "Job shop/once: kube-apiserver does not let a Job change its pod template; delete it and create it from"
                        + " the new manifest",
                "Pod shop/demo: kube-apiserver does not let a Pod change its pod template; delete it and create it from"
                        + " the new manifest",
                "Pod shop/orders-5d8f7c9b4-x2k9p is managed by ReplicaSet/orders-5d8f7c9b4: left out; its controller's"
                        + " manifest carries the label, migrate that",
                "service account shop/orders also runs Deployment shop/web, which had no identity: federated, it lets"
                        + " them obtain shop/orders-identity, shop/reader too; give the migrated workloads their own"
                        + " service account if that is not intended");
        assertThat(plan.findings(Finding.Category.CREDENTIAL_LIMIT)).isEmpty();
    }

    @Test
    void anIdentityNeedingMoreThan20CredentialsIsReported() throws Exception {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: aadpodidentity.k8s.io/v1
                kind: AzureIdentity
                metadata: {name: busy, namespace: team}
                spec: {type: 0, clientID: %s, resourceID: /subscriptions/%s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/busy}
                ---
                apiVersion: aadpodidentity.k8s.io/v1
                kind: AzureIdentityBinding
                metadata: {name: busy, namespace: team}
                spec: {azureIdentity: busy, selector: busy}
                """.formatted(ORDERS_MI, SUBSCRIPTION));
        for (int i = 1; i <= 21; i++) {
            yaml.append("""
                    ---
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: app-%1$d, namespace: team}
                    spec: {template: {metadata: {labels: {aadpodidbinding: busy}}, spec: {serviceAccountName: sa-%1$d}}}
                    """.formatted(i));
        }
        Path file = Files.writeString(tmp.resolve("busy.yaml"), yaml);
        MigrationPlan plan = MigrationPlan.of(PodIdentityInput.of(ManifestReader.read(file)), ISSUER);
        assertThat(plan.credentials()).hasSize(21);
        assertThat(plan.findings(Finding.Category.CREDENTIAL_LIMIT)).extracting(Finding::text).containsExactly(
                "AzureIdentity team/busy would need 21 federated credentials; Entra allows 20 per identity (count those it"
                        + " has already). Share fewer service accounts between its workloads, or split it into several"
                        + " identities");
    }

    // ------------------------------------------------------------------------------------------ the script

    @Test
    void managedIdentitiesGetAzIdentityAndServicePrincipalsAzAdApp() {
        MigrationPlan plan = documented();
        FederatedCredential orders = plan.credentials().get(6);
        assertThat(FederatedCredentialScript.command(orders)).containsExactly("az", "identity", "federated-credential",
                "create", "--name=shop_orders", "--identity-name=orders-mi", "--resource-group=shop-identities",
                "--subscription=" + SUBSCRIPTION, "--issuer=" + ISSUER, "--subject=system:serviceaccount:shop:orders",
                "--audiences=api://AzureADTokenExchange");
        FederatedCredential batch = plan.credentials().get(2);
        List<String> argv = FederatedCredentialScript.command(batch);
        assertThat(argv.subList(0, 6)).containsExactly("az", "ad", "app", "federated-credential", "create", "--id=" + LEGACY_SP);
        assertThat(argv.get(6)).startsWith("--parameters=");
        assertThat((Map<?, ?>) new Yaml().load(argv.get(6).substring("--parameters=".length()))).isEqualTo(Map.of(
                "name", "shop_batch", "issuer", ISSUER, "subject", "system:serviceaccount:shop:batch",
                "audiences", List.of("api://AzureADTokenExchange"), "description",
                "Kubernetes service account shop/batch (migrated from AAD Pod Identity shop/legacy-sp)"));
        assertThat(argv).hasSize(7);
        String script = FederatedCredentialScript.render(plan);
        assertThat(script).startsWith("#!/usr/bin/env bash\n").contains("\nset -euo pipefail\n")
                .contains("\n# AzureIdentity shop/orders-identity (user-assigned managed identity) -> service account"
                        + " shop/orders\naz identity federated-credential create --name=shop_orders --identity-name=orders-mi"
                        + " --resource-group=shop-identities --subscription=" + SUBSCRIPTION + " --issuer=" + ISSUER
                        + " --subject=system:serviceaccount:shop:orders --audiences=api://AzureADTokenExchange\n");
    }

    @Test
    void longServiceAccountNamesGetAHashedCredentialNameWithinEntrasLimit() {
        AzureIdentity id = documented().credentials().get(0).identity();
        String sa = "a".repeat(200);
        String name = new FederatedCredential(id, "ns", sa, ISSUER).name();
        assertThat(name).hasSize(120).matches("[A-Za-z0-9][A-Za-z0-9_-]{2,119}").startsWith("ns_aaa");
        assertThat(new FederatedCredential(id, "ns", sa.substring(1) + "b", ISSUER).name()).isNotEqualTo(name);
        assertThat(new FederatedCredential(id, "ns", "api.v2", ISSUER).name()).isEqualTo("ns_api_v2");
    }

    // ------------------------------------------------------------------------------------------ bad input

    private void refused(String yaml, String message) throws Exception {
        Path file = Files.writeString(tmp.resolve("bad.yaml"), yaml);
        assertThatThrownBy(() -> PodIdentityMigration.plan(List.of(file), ISSUER, false))
                .isInstanceOf(MigrationInputException.class).hasMessage(message.replace("{file}", file.toString()));
    }

    @Test
    void notYaml() throws Exception {
        refused("apiVersion: v1\nkind: Pod\n  metadata: x: y\n", "{file}: not YAML: mapping values are not allowed"
                + " here (line 3, column 11)"); // where PyYAML also places it
        refused("[1, 2]\n", "{file}, document 1: not a Kubernetes resource (a mapping with apiVersion and kind)");
        refused("a: 1\na: 2\n", "{file}: not YAML: found duplicate key a (line 2, column 1)");
    }

    @Test
    void unknownKind() throws Exception {
        refused("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n", "{file}, document 1: Secret"
                + " shop/s: kind 'Secret' is not one this command reads: give it AzureIdentity, AzureIdentityBinding and"
                + " AzurePodIdentityException (aadpodidentity.k8s.io/v1), and Deployment, StatefulSet, DaemonSet, Job,"
                + " CronJob and Pod resources");
    }

    @Test
    void bindingToAMissingIdentity() throws Exception {
        refused("apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentityBinding\nmetadata: {name: b, namespace: shop}\n"
                + "spec: {azureIdentity: gone, selector: s}\n", "{file}, document 1: AzureIdentityBinding shop/b:"
                + " spec.azureIdentity 'gone' names no AzureIdentity in namespace shop in the input (MIC looks it up in"
                + " the binding's namespace)");
    }

    @Test
    void identityWithoutClientId() throws Exception {
        refused("apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentity\nmetadata: {name: i, namespace: shop}\n"
                + "spec: {type: 0, resourceID: /subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/"
                + "userAssignedIdentities/i}\n", "{file}, document 1: AzureIdentity shop/i: has no spec.clientID;"
                + " Workload Identity names the identity by its client ID (az identity show or az ad sp show prints it)");
    }

    @Test
    void namesKubeApiserverWouldRefuse() throws Exception {
        refused("apiVersion: v1\nkind: Pod\nmetadata: {name: \"x; rm -rf /\", namespace: shop}\n",
                "{file}, document 1: Pod shop/x; rm -rf /: metadata.name 'x; rm -rf /' is not a Kubernetes object name");
        refused("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "{file}, document 1: Pod p: has no"
                + " metadata.namespace; export resources with kubectl get -o yaml, which includes it");
        refused("apiVersion: aadpodidentity.k8s.io/v1\nkind: AzureIdentity\nmetadata: {name: i, namespace: shop}\n"
                + "spec: {type: 0, clientID: c, resourceID: /subscriptions/s/resourceGroups/rg}\n", "{file}, document 1:"
                + " AzureIdentity shop/i: spec.resourceID '/subscriptions/s/resourceGroups/rg' is not a user-assigned"
                + " managed identity's resource ID (/subscriptions/SUB/resourcegroups/RG/providers/"
                + "Microsoft.ManagedIdentity/userAssignedIdentities/NAME)");
    }
}
