package io.kubeoidc.service.migrate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the move to Workload Identity takes, decided from the Pod Identity resources alone (a pure function, so the
 * files written and the report come from the same decisions).
 */
record MigrationPlan(String issuer, List<MigratedWorkload> workloads, List<ServiceAccountPlan> serviceAccounts,
                     List<FederatedCredential> credentials, List<Finding> findings) {
    /** Entra's limit per app registration or user-assigned managed identity. */
    static final int MAX_CREDENTIALS = 20;
    static final String DEDICATED_SUFFIX = "-workload-identity";

    static MigrationPlan of(PodIdentityInput in, String issuer) {
        Map<String, AzureIdentity> identities = new LinkedHashMap<>();
        in.identities().forEach(i -> identities.put(i.ref(), i));
        for (IdentityBinding b : in.bindings()) {
            if (!identities.containsKey(b.identityRef())) {
                throw new MigrationInputException(b.where() + ": spec.azureIdentity " + Manifest.quoted(b.identityName())
                        + " names no AzureIdentity in namespace " + b.namespace() + " in the input (MIC looks it up in"
                        + " the binding's namespace)");
            }
        }
        List<Finding> findings = new ArrayList<>();
        List<MigratedWorkload> migrated = new ArrayList<>();
        Set<IdentityBinding> used = new LinkedHashSet<>();
        Map<String, List<Workload>> unlabelledBySa = new TreeMap<>();
        Map<String, List<MigratedWorkload>> bySa = new TreeMap<>();
        List<Workload> sorted = in.workloads().stream().sorted(Comparator.comparing(Workload::namespace)
                .thenComparing(w -> Workload.KINDS.indexOf(w.kind())).thenComparing(Workload::name)).toList();
        for (Workload w : sorted) {
            if (w.bindingLabel() == null) {
                unlabelledBySa.computeIfAbsent(w.namespace() + "/" + w.serviceAccount(), k -> new ArrayList<>()).add(w);
                continue;
            }
            if (w.controller() != null) {
                findings.add(new Finding(Finding.Category.NOTE, w.ref() + " is managed by " + w.controller()
                        + ": left out; its controller's manifest carries the label, migrate that"));
                continue;
            }
            List<IdentityBinding> matched = in.bindings().stream().filter(b -> b.selector() != null
                    && b.selector().equals(w.bindingLabel()) && reaches(identities.get(b.identityRef()), b, w)).toList();
            used.addAll(matched);
            List<AzureIdentity> ids = matched.stream().map(b -> identities.get(b.identityRef())).distinct()
                    .sorted(Comparator.comparing(AzureIdentity::ref)).toList();
            if (ids.isEmpty()) {
                findings.add(new Finding(Finding.Category.NOTE, w.ref() + " has " + Workload.BINDING_LABEL + "="
                        + Text.printable(w.bindingLabel()) + ", which no AzureIdentityBinding in the input selects for it:"
                        + " it had no identity, so it is left out"));
                continue;
            }
            if (ids.size() > 1) {
                findings.add(new Finding(Finding.Category.SEVERAL_IDENTITIES, w.ref() + " matched " + ids.size()
                        + " identities (" + refs(ids) + ") through " + matched.stream().map(b -> b.namespace() + "/" + b.name())
                        .collect(Collectors.joining(", ")) + ". Its service account is federated to each; the"
                        + " azure.workload.identity/client-id annotation names " + ids.get(0).ref() + ", so code that used"
                        + " another must ask for that client ID itself (for example AZURE_CLIENT_ID in its container)"));
            }
            String sa = w.serviceAccount();
            if ("default".equals(sa)) {
                sa = dedicatedName(w.name());
                findings.add(new Finding(Finding.Category.DEDICATED, w.ref() + " ran as " + w.namespace()
                        + "/default and moves to " + w.namespace() + "/" + sa + ": a credential federated to the default"
                        + " service account would hand the identity to every pod of the namespace"));
            }
            MigratedWorkload m = new MigratedWorkload(w, sa, ids);
            migrated.add(m);
            bySa.computeIfAbsent(w.namespace() + "/" + sa, k -> new ArrayList<>()).add(m);
            if (w.kind().equals("Pod") || w.kind().equals("Job")) {
                findings.add(new Finding(Finding.Category.NOTE, w.ref() + ": kube-apiserver does not let a " + w.kind()
                        + " change its pod template; delete it and create it from the new manifest"));
            }
        }
        List<ServiceAccountPlan> accounts = new ArrayList<>();
        for (var e : bySa.entrySet()) {
            MigratedWorkload first = e.getValue().get(0);
            List<AzureIdentity> ids = e.getValue().stream().flatMap(m -> m.identities().stream()).distinct()
                    .sorted(Comparator.comparing(AzureIdentity::ref)).toList();
            boolean dedicated = !first.serviceAccount().equals(first.workload().serviceAccount());
            ServiceAccountPlan plan = new ServiceAccountPlan(first.workload().namespace(), first.serviceAccount(), dedicated,
                    ids, e.getValue().stream().map(MigratedWorkload::workload).toList());
            accounts.add(plan);
            if (e.getValue().stream().map(MigratedWorkload::identities).distinct().count() > 1) {
                findings.add(new Finding(Finding.Category.SEVERAL_IDENTITIES, "service account " + plan.ref() + " is shared"
                        + " by workloads that had different identities (" + e.getValue().stream().map(m -> m.workload().ref()
                        + ": " + refs(m.identities())).collect(Collectors.joining("; ")) + "). It is federated to each, and"
                        + " every one of those workloads can now use all of them; give each its own service account"
                        + " to keep them apart"));
            }
            List<Workload> others = unlabelledBySa.getOrDefault(e.getKey(), List.of());
            if (!dedicated && !others.isEmpty()) {
                findings.add(new Finding(Finding.Category.NOTE, "service account " + plan.ref() + " also runs "
                        + others.stream().map(Workload::ref).collect(Collectors.joining(", ")) + ", which had no"
                        + " identity: federated, it lets them obtain " + refs(ids) + " too; give the migrated workloads"
                        + " their own service account if that is not intended"));
            }
        }
        List<FederatedCredential> credentials = accounts.stream().flatMap(a -> a.identities().stream()
                .map(i -> new FederatedCredential(i, a.namespace(), a.name(), issuer))).toList();
        credentials.stream().collect(Collectors.groupingBy(c -> c.identity().ref(), TreeMap::new, Collectors.counting()))
                .forEach((ref, n) -> {
                    if (n > MAX_CREDENTIALS) {
                        findings.add(new Finding(Finding.Category.CREDENTIAL_LIMIT, "AzureIdentity " + ref + " would need "
                                + n + " federated credentials; Entra allows " + MAX_CREDENTIALS + " per identity (count"
                                + " those it has already). Share fewer service accounts between its workloads, or split"
                                + " it into several identities"));
                    }
                });
        for (IdentityBinding b : in.bindings()) {
            if (!used.contains(b)) {
                findings.add(new Finding(Finding.Category.UNUSED_BINDING, "AzureIdentityBinding " + b.namespace() + "/"
                        + b.name() + " (selector " + Manifest.quoted(b.selector()) + ", identity " + b.identityRef()
                        + ") selects no workload in the input: no federated credential is made for it"));
            }
        }
        findings.addAll(leftBehind(in));
        findings.sort(Comparator.comparing(Finding::category));
        return new MigrationPlan(issuer, List.copyOf(migrated), List.copyOf(accounts), credentials, List.copyOf(findings));
    }

    /** What stays behind in Azure and in the cluster whatever the workloads do: secrets, tenants, exceptions. */
    private static List<Finding> leftBehind(PodIdentityInput in) {
        List<Finding> found = new ArrayList<>();
        for (AzureIdentity i : in.identities()) {
            if (i.servicePrincipal()) {
                found.add(new Finding(Finding.Category.SECRET, "AzureIdentity " + i.ref() + " (" + i.typeName()
                        + ", client ID " + Text.printable(i.clientId()) + "): once its workloads run on Workload Identity,"
                        + " remove the " + (i.type() == 1 ? "client secret" : "certificate") + " from the app registration"
                        + " (az ad app credential list / delete --id CLIENT_ID --key-id KEY_ID)"
                        + (i.secret() == null ? "" : " and delete Secret " + Text.printable(i.secret()))));
            }
            if (!i.auxiliaryTenants().isEmpty()) {
                found.add(new Finding(Finding.Category.NOTE, "AzureIdentity " + i.ref() + " also signs in to tenants "
                        + Text.printable(String.join(", ", i.auxiliaryTenants())) + ": the federated credential lives in its"
                        + " home tenant; code that reached the others must ask for tokens there itself"));
            }
        }
        for (IdentityException x : in.exceptions()) {
            found.add(new Finding(Finding.Category.EXCEPTION, "AzurePodIdentityException " + x.namespace() + "/"
                    + x.name() + " (pod labels " + Text.printable(x.podLabels().toString()) + "): Workload Identity does not"
                    + " intercept IMDS, so there is nothing to except; delete it with aad-pod-identity"));
        }
        return found;
    }

    /** MIC's rule: a namespaced identity serves only pods in its own namespace, through a binding in that namespace. */
    private static boolean reaches(AzureIdentity identity, IdentityBinding binding, Workload w) {
        return !identity.namespaced() || identity.namespace().equals(binding.namespace())
                && binding.namespace().equals(w.namespace());
    }

    /** The workload's name and a suffix, within the 253 characters of an object name (ending in a letter). */
    static String dedicatedName(String workload) {
        String base = workload.length() + DEDICATED_SUFFIX.length() > 253
                ? workload.substring(0, 253 - DEDICATED_SUFFIX.length()).replaceAll("[.-]+$", "") : workload;
        return base + DEDICATED_SUFFIX;
    }

    private static String refs(List<AzureIdentity> ids) {
        return ids.stream().map(AzureIdentity::ref).collect(Collectors.joining(", "));
    }

    List<Finding> findings(Finding.Category category) {
        return findings.stream().filter(f -> f.category() == category).toList();
    }
}
