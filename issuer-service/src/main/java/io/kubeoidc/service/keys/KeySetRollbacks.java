package io.kubeoidc.service.keys;

import io.kubeoidc.store.RolledBackKeySetException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Key sets refused because their revision is below the high-water mark: each distinct one is audited and
 * counted once, and stays reported (health, metric) until a set at or above the mark is served again.
 */
public final class KeySetRollbacks {
    private final AtomicLong refused = new AtomicLong();
    private volatile String refusing;

    public void refused(RolledBackKeySetException e) {
        if (!e.getMessage().equals(refusing)) {
            refused.incrementAndGet();
            IssuerKeys.AUDIT.warn("rollback refused: the store holds key-set revision {}, below the high-water mark {};"
                    + " the served keys are unchanged", e.revision(), e.highWaterMark());
        }
        refusing = e.getMessage();
    }

    void cleared() {
        refusing = null;
    }

    /** The refusal in force, or null. */
    public String refusing() {
        return refusing;
    }

    public long count() {
        return refused.get();
    }
}
