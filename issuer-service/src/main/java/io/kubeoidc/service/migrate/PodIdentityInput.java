package io.kubeoidc.service.migrate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The resources read, sorted by kind; anything the migration does not understand is refused, not skipped. */
record PodIdentityInput(List<AzureIdentity> identities, List<IdentityBinding> bindings,
                               List<IdentityException> exceptions, List<Workload> workloads) {
    private static final String AAD = "aadpodidentity.k8s.io/v1";
    private static final Map<String, List<String>> API_VERSIONS = Map.of(
            "AzureIdentity", List.of(AAD), "AzureIdentityBinding", List.of(AAD), "AzurePodIdentityException", List.of(AAD),
            "Deployment", List.of("apps/v1"), "StatefulSet", List.of("apps/v1"), "DaemonSet", List.of("apps/v1"),
            "Job", List.of("batch/v1"), "CronJob", List.of("batch/v1", "batch/v1beta1"), "Pod", List.of("v1"));

    static PodIdentityInput of(List<Manifest> manifests) {
        List<AzureIdentity> identities = new ArrayList<>();
        List<IdentityBinding> bindings = new ArrayList<>();
        List<IdentityException> exceptions = new ArrayList<>();
        List<Workload> workloads = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (Manifest m : manifests) {
            List<String> versions = API_VERSIONS.get(m.kind());
            if (versions == null) {
                throw m.invalid("kind " + Manifest.quoted(m.kind()) + " is not one this command reads: give it"
                        + " AzureIdentity, AzureIdentityBinding and AzurePodIdentityException (" + AAD + "), and"
                        + " Deployment, StatefulSet, DaemonSet, Job, CronJob and Pod resources");
            }
            if (!versions.contains(m.apiVersion())) {
                throw m.invalid("apiVersion " + Manifest.quoted(m.apiVersion()) + " is not " + String.join(" or ", versions));
            }
            String key = m.kind() + " " + m.namespace() + "/" + m.name();
            String earlier = seen.putIfAbsent(key, m.where());
            if (earlier != null) {
                throw m.invalid("appears twice (also in " + earlier + ")");
            }
            switch (m.kind()) {
                case "AzureIdentity" -> identities.add(AzureIdentity.from(m));
                case "AzureIdentityBinding" -> bindings.add(IdentityBinding.from(m));
                case "AzurePodIdentityException" -> exceptions.add(IdentityException.from(m));
                default -> workloads.add(Workload.from(m));
            }
        }
        return new PodIdentityInput(List.copyOf(identities), List.copyOf(bindings), List.copyOf(exceptions),
                List.copyOf(workloads));
    }
}
