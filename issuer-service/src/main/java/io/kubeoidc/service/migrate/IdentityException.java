package io.kubeoidc.service.migrate;

import java.util.Map;
import java.util.TreeMap;

/** An AzurePodIdentityException: pods with any of these labels reach IMDS past NMI. */
record IdentityException(String namespace, String name, Map<String, String> podLabels) {
    static IdentityException from(Manifest m) {
        Map<String, String> labels = new TreeMap<>();
        Tree.map(Tree.field(Tree.map(m.body().get("spec")), "podLabels"))
                .forEach((k, v) -> labels.put(k, String.valueOf(Manifest.text(v))));
        return new IdentityException(m.namespace(), m.name(), labels);
    }
}
