package io.kubeoidc.service.migrate;

import java.util.Map;

/**
 * An AzureIdentityBinding: pods whose {@code aadpodidbinding} label equals {@code selector} get the AzureIdentity
 * of that name in the binding's own namespace (MIC looks it up there).
 */
record IdentityBinding(String namespace, String name, String identityName, String selector, String where) {
    String identityRef() {
        return namespace + "/" + identityName;
    }

    static IdentityBinding from(Manifest m) {
        String ns = m.namespace();
        String name = m.name();
        Map<String, Object> spec = Tree.map(m.body().get("spec"));
        String identity = Manifest.text(Tree.field(spec, "azureIdentity"));
        if (identity == null || identity.isBlank()) {
            throw m.invalid("has no spec.azureIdentity (the name of the AzureIdentity it binds)");
        }
        return new IdentityBinding(ns, name, identity, Manifest.text(Tree.field(spec, "selector")), m.describe());
    }
}
