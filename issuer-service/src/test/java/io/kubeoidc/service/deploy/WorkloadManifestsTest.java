package io.kubeoidc.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The example workload's manifests (examples/workload/k8s), parsed with SnakeYAML (there is no cluster here), carry
 * what Azure Workload Identity needs, and agree with each other, with the README's az commands and with the
 * environment the application reads.
 */
@SuppressWarnings("unchecked")
class WorkloadManifestsTest {
    static final Path EXAMPLE = Path.of("../examples/workload");
    static final String AUDIENCE = "api://AzureADTokenExchange";

    static Map<String, Object> single(String file) throws Exception {
        List<Object> docs = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(EXAMPLE.resolve("k8s").resolve(file))) {
            new Yaml().loadAll(r).forEach(docs::add);
        }
        assertThat(docs).as(file).hasSize(1);
        return (Map<String, Object>) docs.get(0);
    }

    static Map<String, Object> map(Map<String, Object> m, String... path) {
        Map<String, Object> at = m;
        for (String key : path) {
            assertThat(at).as("%s in %s", key, String.join(".", path)).containsKey(key);
            at = (Map<String, Object>) at.get(key);
        }
        return at;
    }

    static Map<String, Object> podSpec(Map<String, Object> deployment) {
        return map(deployment, "spec", "template", "spec");
    }

    static Map<String, Object> container(Map<String, Object> deployment) {
        List<Map<String, Object>> containers = (List<Map<String, Object>>) podSpec(deployment).get("containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static Map<String, String> env(Map<String, Object> deployment) {
        return ((List<Map<String, Object>>) container(deployment).get("env")).stream()
                .collect(Collectors.toMap(e -> (String) e.get("name"), e -> String.valueOf(e.get("value"))));
    }

    @Test
    void theServiceAccountNamesTheIdentity() throws Exception {
        Map<String, Object> sa = single("serviceaccount.yaml");
        assertThat(sa).containsEntry("apiVersion", "v1").containsEntry("kind", "ServiceAccount");
        assertThat(map(sa, "metadata", "annotations")).containsKey("azure.workload.identity/client-id")
                .containsKey("azure.workload.identity/tenant-id");
    }

    @Test
    void withTheWebhookThePodIsLabelledAndRunsAsTheServiceAccount() throws Exception {
        Map<String, Object> sa = single("serviceaccount.yaml");
        Map<String, Object> deployment = single("deployment.yaml");
        assertThat(deployment).containsEntry("apiVersion", "apps/v1").containsEntry("kind", "Deployment");
        assertThat(map(deployment, "metadata")).containsEntry("namespace", map(sa, "metadata").get("namespace"));
        // A string: the webhook's object selector matches "true", and a YAML boolean is not a valid label value.
        assertThat(map(deployment, "spec", "template", "metadata", "labels"))
                .containsEntry("azure.workload.identity/use", "true");
        assertThat(podSpec(deployment)).containsEntry("serviceAccountName", map(sa, "metadata").get("name"));
        // The webhook injects these; set by hand they would hide a missing injection.
        assertThat(env(deployment)).doesNotContainKeys("AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE")
                .containsEntry("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential");
        assertReadsItsSettings(deployment);
    }

    @Test
    void withoutTheWebhookTheProjectedTokenAndEnvironmentAreWrittenOut() throws Exception {
        Map<String, Object> sa = single("serviceaccount.yaml");
        Map<String, Object> deployment = single("deployment-without-webhook.yaml");
        assertThat(map(deployment, "metadata")).containsEntry("namespace", map(sa, "metadata").get("namespace"));
        assertThat(podSpec(deployment)).containsEntry("serviceAccountName", map(sa, "metadata").get("name"));
        Map<String, String> env = env(deployment);
        Map<String, Object> annotations = map(sa, "metadata", "annotations");
        assertThat(env).containsEntry("AZURE_CLIENT_ID", (String) annotations.get("azure.workload.identity/client-id"))
                .containsEntry("AZURE_TENANT_ID", (String) annotations.get("azure.workload.identity/tenant-id"))
                .containsEntry("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/")
                .containsEntry("AZURE_TOKEN_CREDENTIALS", "WorkloadIdentityCredential");

        // The token file is the projected service account token with Entra's audience, where the env points.
        List<Map<String, Object>> volumes = (List<Map<String, Object>>) podSpec(deployment).get("volumes");
        List<Map<String, Object>> mounts = (List<Map<String, Object>>) container(deployment).get("volumeMounts");
        String tokenFile = env.get("AZURE_FEDERATED_TOKEN_FILE");
        Map<String, Object> token = null;
        for (Map<String, Object> mount : mounts) {
            Map<String, Object> volume = volumes.stream().filter(v -> v.get("name").equals(mount.get("name")))
                    .findFirst().orElseThrow();
            if (!volume.containsKey("projected")) {
                continue;
            }
            for (Map<String, Object> source : (List<Map<String, Object>>) map(volume, "projected").get("sources")) {
                Map<String, Object> sat = (Map<String, Object>) source.get("serviceAccountToken");
                if (sat != null && (mount.get("mountPath") + "/" + sat.get("path")).equals(tokenFile)) {
                    token = sat;
                    assertThat(mount).containsEntry("readOnly", true);
                }
            }
        }
        assertThat(token).as("a projected serviceAccountToken mounted at %s", tokenFile).isNotNull();
        assertThat(token).containsEntry("audience", AUDIENCE);
        // The webhook's range; kubelet refreshes at 80 % of it.
        assertThat((Integer) token.get("expirationSeconds")).isBetween(3600, 86400);
        assertThat(map(deployment, "spec", "template", "metadata", "labels"))
                .doesNotContainKey("azure.workload.identity/use");
        assertReadsItsSettings(deployment);
    }

    /** The environment the manifests set is what BlobCheck reads. */
    private static void assertReadsItsSettings(Map<String, Object> deployment) throws Exception {
        String source = Files.readString(EXAMPLE.resolve(
                "src/main/java/io/kubeoidc/examples/workload/BlobCheck.java"));
        for (String name : List.of("STORAGE_ACCOUNT_URL", "CONTAINER", "CHECK_INTERVAL_SECONDS")) {
            assertThat(env(deployment)).containsKey(name);
            assertThat(source).contains("\"" + name + "\"");
        }
        assertThat(env(deployment).get("STORAGE_ACCOUNT_URL")).startsWith("https://");
        Map<String, Object> security = (Map<String, Object>) container(deployment).get("securityContext");
        assertThat(security).containsEntry("readOnlyRootFilesystem", true).containsEntry("allowPrivilegeEscalation", false);
    }

    @Test
    void theReadmesFederatedCredentialMatchesTheServiceAccount() throws Exception {
        Map<String, Object> metadata = map(single("serviceaccount.yaml"), "metadata");
        String readme = Files.readString(EXAMPLE.resolve("README.md"));
        assertThat(readme).contains("--subject \"system:serviceaccount:" + metadata.get("namespace") + ":"
                + metadata.get("name") + "\"").contains("--audiences \"" + AUDIENCE + "\"")
                .contains("--issuer \"$ISSUER\"").contains("--role \"Storage Blob Data Contributor\"");
        // The image runs the jar the build makes.
        String dockerfile = Files.readString(EXAMPLE.resolve("Dockerfile"));
        String pom = Files.readString(EXAMPLE.resolve("pom.xml"));
        assertThat(pom).contains("<finalName>workload</finalName>");
        assertThat(dockerfile).contains("/src/target/workload.jar").contains("/src/target/lib/");
    }
}
