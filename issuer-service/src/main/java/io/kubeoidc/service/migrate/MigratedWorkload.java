package io.kubeoidc.service.migrate;

import java.util.List;

/** A workload that moves to Workload Identity, the service account it moves to, and the identities it had. */
record MigratedWorkload(Workload workload, String serviceAccount, List<AzureIdentity> identities) {
}
