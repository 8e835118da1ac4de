package io.kubeoidc.rotation;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.time.Instant;

/** A key's next move under a policy, and what gates it, for `keys status`. */
public record Schedule(Instant at, String what) {

    public static Schedule of(ManagedKey key, KeySet set, RotationPolicy policy) {
        return switch (key.state()) {
            case ACTIVE -> set.keys().stream().anyMatch(k -> k.state() == KeyState.NEXT)
                    ? new Schedule(null, "retires when the NEXT key activates")
                    : new Schedule(RotationPlanner.nextCreationTime(key, policy),
                            "a NEXT key is published (max-keys " + policy.maxKeys() + " permitting)");
            // No durations or instants in the text: the CLI prints them (readably) in the policy line and NEXT AT.
            case NEXT -> key.confirmedAt() == null
                    ? new Schedule(null, "activates publish-ahead after every publication target confirms it"
                            + " (not yet confirmed)")
                    : new Schedule(RotationPlanner.activationTime(key, set.active().orElse(null), policy),
                            "activates (confirmed; published for publish-ahead by then)");
            case RETIRED -> new Schedule(key.stateSince().plus(policy.retention()),
                    "removed: every token it signed has expired");
            case VERIFY_ONLY -> key.removeAt() != null ? new Schedule(key.removeAt(), "removed (configured)")
                    : new Schedule(null, "kept until `keys remove " + key.kid() + "`");
        };
    }
}
