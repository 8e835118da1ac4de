package io.kubeoidc.service.migrate;

import java.util.List;

/**
 * A service account the migrated workloads run as, and the identities federated to it.
 *
 * @param dedicated  created for workloads that ran as their namespace's default service account
 * @param identities the first one is the one its annotation names (what the webhook puts in AZURE_CLIENT_ID)
 */
record ServiceAccountPlan(String namespace, String name, boolean dedicated, List<AzureIdentity> identities,
                          List<Workload> workloads) {
    AzureIdentity annotated() {
        return identities.get(0);
    }

    String ref() {
        return namespace + "/" + name;
    }
}
