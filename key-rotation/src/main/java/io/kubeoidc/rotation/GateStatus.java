package io.kubeoidc.rotation;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each publication target has confirmed: the kids in the last document it verifiably serves
 * (for the blob mirror: read back anonymously). A key is confirmed when every target lists it.
 */
public record GateStatus(Map<String, Set<String>> confirmedKidsByTarget) {

    public GateStatus {
        confirmedKidsByTarget = Map.copyOf(confirmedKidsByTarget);
    }

    public boolean confirmed(String kid) {
        return !confirmedKidsByTarget.isEmpty()
                && confirmedKidsByTarget.values().stream().allMatch(kids -> kids.contains(kid));
    }

    /** Targets that do not (yet) serve the kid, sorted, for messages. */
    public List<String> pending(String kid) {
        return confirmedKidsByTarget.entrySet().stream().filter(e -> !e.getValue().contains(kid))
                .map(Map.Entry::getKey).sorted().toList();
    }
}
