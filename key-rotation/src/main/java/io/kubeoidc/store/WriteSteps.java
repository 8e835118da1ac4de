package io.kubeoidc.store;

/**
 * Observes each durable step of a commit (a temp file written, a rename, a delete). Production uses
 * {@link #NONE}; the crash tests use it to kill a real process at every step.
 */
@FunctionalInterface
public interface WriteSteps {
    WriteSteps NONE = step -> { };

    void reached(String step);
}
