package io.kubeoidc.service.migrate;

import java.util.List;
import java.util.Map;

/**
 * An aad-pod-identity AzureIdentity: a user-assigned managed identity (type 0) or a service principal with a
 * client secret (1) or certificate (2), whose secret lives in a Kubernetes Secret.
 *
 * @param managedIdentity type 0 only: where {@code az identity federated-credential create} finds it
 * @param tenantId        null when the resource does not say (type 0 never does)
 * @param secret          types 1 and 2: "namespace/name" of the Secret holding the client secret or certificate
 * @param namespaced      MIC matches it only to pods in its own namespace (the Behavior annotation)
 */
record AzureIdentity(String namespace, String name, int type, String clientId, String tenantId,
                     ManagedIdentityId managedIdentity, String secret, List<String> auxiliaryTenants, boolean namespaced,
                     String where) {
    static final int MANAGED_IDENTITY = 0;

    String ref() {
        return namespace + "/" + name;
    }

    boolean servicePrincipal() {
        return type != MANAGED_IDENTITY;
    }

    String typeName() {
        return switch (type) {
            case 0 -> "user-assigned managed identity";
            case 1 -> "service principal with a client secret";
            default -> "service principal with a certificate";
        };
    }

    static AzureIdentity from(Manifest m) {
        String ns = m.namespace();
        String name = m.name();
        Map<String, Object> spec = Tree.map(m.body().get("spec"));
        Object typeValue = Tree.field(spec, "type");
        int type;
        String typeText = Manifest.text(typeValue);
        if (typeValue == null) {
            type = MANAGED_IDENTITY; // Go's zero value: MIC treats a missing type as 0
        } else if (typeText != null && typeText.matches("[012]")) {
            type = Integer.parseInt(typeText);
        } else {
            throw m.invalid("spec.type " + Manifest.quoted(typeText) + " is not 0 (user-assigned managed identity),"
                    + " 1 (service principal) or 2 (service principal with a certificate)");
        }
        String clientId = Manifest.text(Tree.field(spec, "clientID"));
        if (clientId == null || clientId.isBlank()) {
            throw m.invalid("has no spec.clientID; Workload Identity names the identity by its client ID"
                    + " (az identity show or az ad sp show prints it)");
        }
        ManagedIdentityId managed = null;
        if (type == MANAGED_IDENTITY) {
            String resourceId = Manifest.text(Tree.field(spec, "resourceID"));
            managed = ManagedIdentityId.parse(resourceId);
            if (managed == null) {
                throw m.invalid("spec.resourceID " + Manifest.quoted(resourceId) + " is not a user-assigned managed"
                        + " identity's resource ID (/subscriptions/SUB/resourcegroups/RG/providers/"
                        + "Microsoft.ManagedIdentity/userAssignedIdentities/NAME)");
            }
        }
        String tenant = Manifest.text(Tree.field(spec, "tenantID"));
        Map<String, Object> password = Tree.map(Tree.field(spec, "clientPassword"));
        String secretName = Manifest.text(Tree.field(password, "name"));
        String secretNs = Manifest.text(Tree.field(password, "namespace"));
        String secret = secretName == null ? null : (secretNs == null ? ns : secretNs) + "/" + secretName;
        Object aux = Tree.field(spec, "auxiliaryTenantIDs");
        List<String> auxiliary = aux instanceof List<?> l ? l.stream().map(Manifest::text).filter(t -> t != null).toList() : List.of();
        boolean namespaced = "namespaced".equalsIgnoreCase(Manifest.text(Tree.map(m.metadata().get("annotations"))
                .get("aadpodidentity.k8s.io/Behavior")));
        return new AzureIdentity(ns, name, type, clientId.strip(), tenant == null || tenant.isBlank() ? null : tenant.strip(),
                managed, secret, auxiliary, namespaced, m.describe());
    }
}
