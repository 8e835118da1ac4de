package io.kubeoidc.rotation;

import java.time.Duration;
import java.time.Instant;

/**
 * Where rotation stands after a planning step, for logs, health and metrics.
 *
 * @param nextTransitionAt when the next scheduled move is due, or null
 * @param nextTransition   what that move is ("create NEXT", "activate NEXT kid X", ...)
 * @param waitingFor       what holds rotation back right now, or null when on schedule
 * @param overdueBy        how long the ACTIVE key has been signing past its period (zero when not)
 */
public record RotationStatus(Instant nextTransitionAt, String nextTransition, String waitingFor, Duration overdueBy) {
    public boolean overdue() {
        return overdueBy.compareTo(Duration.ZERO) > 0;
    }
}
