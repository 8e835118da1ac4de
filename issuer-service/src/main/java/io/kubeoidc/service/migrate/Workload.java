package io.kubeoidc.service.migrate;

import java.util.List;
import java.util.Map;

/**
 * A Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod, reduced to what the migration decides on.
 *
 * @param serviceAccount what its pods run as ("default" when the template names none)
 * @param bindingLabel   the pods' {@code aadpodidbinding} label, or null
 * @param controller     "ReplicaSet/orders-5d8f" for a pod or job a controller made, or null
 */
record Workload(String kind, String namespace, String name, String serviceAccount, String bindingLabel,
                String controller, Manifest manifest) {
    static final String BINDING_LABEL = "aadpodidbinding";
    static final List<String> KINDS = List.of("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod");

    String ref() {
        return kind + " " + namespace + "/" + name;
    }

    /** Where the pod template sits in the resource: the root for a Pod, one or two levels down otherwise. */
    static List<String> templatePath(String kind) {
        return switch (kind) {
            case "Pod" -> List.of();
            case "CronJob" -> List.of("spec", "jobTemplate", "spec", "template");
            default -> List.of("spec", "template");
        };
    }

    static Workload from(Manifest m) {
        String ns = m.namespace();
        String name = m.name();
        Map<String, Object> template = Tree.at(m.body(), templatePath(m.kind()));
        Map<String, Object> podSpec = Tree.map(template.get("spec"));
        String sa = Manifest.text(podSpec.get("serviceAccountName"));
        if (sa == null || sa.isEmpty()) {
            sa = Manifest.text(podSpec.get("serviceAccount")); // the deprecated alias kube-apiserver still honours
        }
        String label = Manifest.text(Tree.map(Tree.map(template.get("metadata")).get("labels")).get(BINDING_LABEL));
        String controller = null;
        if (m.metadata().get("ownerReferences") instanceof List<?> owners) {
            for (Object o : owners) {
                Map<String, Object> owner = Tree.map(o);
                if (Boolean.TRUE.equals(owner.get("controller"))) {
                    controller = Text.printable(Manifest.text(owner.get("kind")) + "/" + Manifest.text(owner.get("name")));
                }
            }
        }
        sa = sa == null || sa.isEmpty() ? "default" : m.objectName("the pod template's serviceAccountName", sa);
        return new Workload(m.kind(), ns, name, sa, label, controller, m);
    }
}
