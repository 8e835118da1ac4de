package io.kubeoidc.service.migrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/** The Kubernetes side of the plan as YAML: the service accounts, and the workloads moved onto them. */
final class WorkloadManifests {
    private WorkloadManifests() {}

    static final String CLIENT_ID = "azure.workload.identity/client-id";
    static final String TENANT_ID = "azure.workload.identity/tenant-id";
    static final String USE = "azure.workload.identity/use";

    /** What kube-apiserver fills in: an apply of a copy that kept them would be refused or fight the server. */
    private static final List<String> SERVER_METADATA = List.of("uid", "resourceVersion", "generation",
            "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds");
    private static final List<String> JOB_GENERATED_LABELS = List.of("controller-uid", "batch.kubernetes.io/controller-uid",
            "job-name", "batch.kubernetes.io/job-name");
    private static final List<String> SERVER_ANNOTATIONS = List.of("kubectl.kubernetes.io/last-applied-configuration",
            "deployment.kubernetes.io/revision");

    static String serviceAccounts(MigrationPlan plan) {
        List<Object> docs = new ArrayList<>();
        for (ServiceAccountPlan sa : plan.serviceAccounts()) {
            Map<String, Object> annotations = new LinkedHashMap<>();
            annotations.put(CLIENT_ID, sa.annotated().clientId());
            if (sa.annotated().tenantId() != null) {
                annotations.put(TENANT_ID, sa.annotated().tenantId());
            }
            Map<String, Object> metadata = new LinkedHashMap<>();
            metadata.put("name", sa.name());
            metadata.put("namespace", sa.namespace());
            metadata.put("annotations", annotations);
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("apiVersion", "v1");
            doc.put("kind", "ServiceAccount");
            doc.put("metadata", metadata);
            docs.add(doc);
        }
        return dump("ServiceAccounts for Workload Identity; apply them before the workloads", docs);
    }

    /** @param keepBindingLabel for the side-by-side phase: NMI still serves the pods while the new path is verified */
    static String workloads(MigrationPlan plan, boolean keepBindingLabel) {
        return dump("Workloads moved to Workload Identity; apply after the service accounts and federated credentials"
                        + (keepBindingLabel ? "\n# Side by side: the pods keep aadpodidbinding, so NMI still answers them" : ""),
                plan.workloads().stream().map(m -> rewrite(m, keepBindingLabel)).toList());
    }

    /**
     * A copy of the workload without server-set fields and status, whose pods run as the new service account, carry
     * the webhook's label, and (unless kept for a side-by-side phase) no longer the aadpodidbinding one.
     */
    static Map<String, Object> rewrite(MigratedWorkload m, boolean keepBindingLabel) {
        Map<String, Object> doc = Tree.deepCopy(m.workload().manifest().body());
        doc.remove("status");
        Map<String, Object> metadata = Tree.child(doc, List.of("metadata"));
        SERVER_METADATA.forEach(metadata::remove);
        if (metadata.get("annotations") instanceof Map<?, ?> annotations) {
            SERVER_ANNOTATIONS.forEach(annotations::remove);
            if (annotations.isEmpty()) {
                metadata.remove("annotations");
            }
        }
        Map<String, Object> template = Tree.child(doc, Workload.templatePath(m.workload().kind()));
        Map<String, Object> labels = Tree.child(template, List.of("metadata", "labels"));
        if (!keepBindingLabel) {
            labels.remove(Workload.BINDING_LABEL);
        }
        if (m.workload().kind().equals("Job") && !Boolean.TRUE.equals(Tree.map(doc.get("spec")).get("manualSelector"))) {
            // The Job controller generated these from the old Job's uid; a new Job that names them is refused.
            Tree.map(doc.get("spec")).remove("selector");
            JOB_GENERATED_LABELS.forEach(labels::remove);
        }
        labels.put(USE, "true");
        Map<String, Object> spec = Tree.child(template, List.of("spec"));
        spec.remove("serviceAccount");
        spec.put("serviceAccountName", m.serviceAccount());
        return doc;
    }

    private static String dump(String header, List<?> docs) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        options.setIndicatorIndent(2);
        options.setIndentWithIndicator(true);
        options.setWidth(Integer.MAX_VALUE); // long values stay on one line, as kubectl prints them
        StringBuilder b = new StringBuilder("# ").append(header).append("\n# Generated by issuer-service migrate pod-identity.\n");
        if (docs.isEmpty()) {
            b.append("# (none)\n");
        }
        Yaml yaml = new Yaml(options);
        for (Object doc : docs) {
            b.append("---\n").append(yaml.dump(doc));
        }
        return b.toString();
    }
}
