package io.kubeoidc.rotation;

import io.kubeoidc.keyset.KeyState;

/**
 * One audit-log line: a key's move and why. {@code from} is null for a new key, {@code to} null
 * for a removed one. Never carries key bytes.
 */
public record Transition(String kid, KeyState from, KeyState to, String why) {
    public String fromName() {
        return from == null ? "NEW" : from.name();
    }

    public String toName() {
        return to == null ? "REMOVED" : to.name();
    }

    @Override
    public String toString() {
        return "kid=" + kid + " from=" + fromName() + " to=" + toName() + " why=\"" + why + "\"";
    }
}
