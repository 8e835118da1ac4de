package io.kubeoidc.service.ha;

import java.util.Optional;

/** Whether this replica may change the key set and write the public mirrors. */
public interface Leadership {

    /** Why this replica must not rotate now, or empty when it may. */
    Optional<String> rotationHold();

    /** Only the leader writes the mirrors: followers may lag a moment and must not overwrite newer copies. */
    default boolean writesMirrors() {
        return rotationHold().isEmpty();
    }

    /** A single node (directory store): it always leads. */
    Leadership SOLE = Optional::empty;
}
