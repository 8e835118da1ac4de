package io.kubeoidc.rotation;

import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import java.util.List;

/** The planner's answer: the next key set, the custody handles of the keys it introduces, the audit trail, and the status. */
public record RotationPlan(KeySet next, List<KeyHandle> newKeys, List<Transition> transitions, RotationStatus status) {
    public RotationPlan {
        newKeys = List.copyOf(newKeys);
        transitions = List.copyOf(transitions);
    }

    /** Whether anything must be committed. */
    public boolean changed() {
        return !transitions.isEmpty();
    }
}
