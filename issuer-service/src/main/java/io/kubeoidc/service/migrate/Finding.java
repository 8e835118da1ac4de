package io.kubeoidc.service.migrate;

/** Something the migration cannot settle by itself, for the report. */
record Finding(Category category, String text) {
    /** In report order; the title heads the report's section. */
    enum Category {
        SECRET("Service principal secrets and certificates to remove after the move"),
        EXCEPTION("AzurePodIdentityException resources (no equivalent in Workload Identity)"),
        CREDENTIAL_LIMIT("Identities over 20 federated credentials"),
        UNUSED_BINDING("Bindings whose selector matches no workload"),
        SEVERAL_IDENTITIES("Workloads that matched several identities"),
        DEDICATED("Workloads moved off their namespace's default service account"),
        NOTE("Also check");

        final String title;

        Category(String title) {
            this.title = title;
        }
    }
}
