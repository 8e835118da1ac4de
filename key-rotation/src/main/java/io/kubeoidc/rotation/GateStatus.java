package io.kubeoidc.rotation;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each publication target has confirmed: the kids in the last document it verifiably serves
 * (for the blob mirror: read back anonymously). A key is confirmed when every target lists it.
 * Targets not checked yet since the process started are {@code unchecked}: they neither confirm nor
 * deny, so a restart does not throw away a NEXT key's confirmation (and its publish-ahead time).
 */
public record GateStatus(Map<String, Set<String>> confirmedKidsByTarget, Set<String> unchecked) {

    public GateStatus {
        confirmedKidsByTarget = Map.copyOf(confirmedKidsByTarget);
        unchecked = Set.copyOf(unchecked);
    }

    /** Every target checked. */
    public GateStatus(Map<String, Set<String>> confirmedKidsByTarget) {
        this(confirmedKidsByTarget, Set.of());
    }

    /** Every target has been checked and serves the kid. */
    public boolean confirmed(String kid) {
        return unchecked.isEmpty() && !confirmedKidsByTarget.isEmpty()
                && confirmedKidsByTarget.values().stream().allMatch(kids -> kids.contains(kid));
    }

    /** A checked target does not serve the kid: relying parties may have cached a JWKS without it. */
    public boolean denied(String kid) {
        return confirmedKidsByTarget.values().stream().anyMatch(kids -> !kids.contains(kid));
    }

    /** Targets that do not (yet) serve the kid, or have not been checked, sorted, for messages. */
    public List<String> pending(String kid) {
        TreeSet<String> pending = new TreeSet<>(unchecked);
        confirmedKidsByTarget.forEach((target, kids) -> {
            if (!kids.contains(kid)) {
                pending.add(target);
            }
        });
        return List.copyOf(pending);
    }
}
