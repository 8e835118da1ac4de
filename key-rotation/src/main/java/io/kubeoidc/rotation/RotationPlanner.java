package io.kubeoidc.rotation;

import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The key lifecycle as a pure function: (key set, policy, gate confirmations, now) gives the next
 * key set and the transitions that lead there. No clock, no I/O, no randomness but the injected
 * {@link KeySource}. One call applies every move that is due; calling it again with the result
 * and the same inputs changes nothing.
 *
 * <pre>
 *   NEW ──(active.since + period − publishAhead − allowance)──▶ NEXT ──(all targets confirm)──▶ NEXT, confirmed
 *   NEXT, confirmed ──(confirmedAt + publishAhead, not before active.since + period)──▶ ACTIVE
 *                                                       (the old ACTIVE becomes RETIRED)
 *   RETIRED ──(since + retention)──▶ REMOVED
 *   VERIFY_ONLY ──(removeAt, if set)──▶ REMOVED
 * </pre>
 *
 * A NEXT key never signs before it has been confirmed by every target for publishAhead. It is published
 * the policy's confirmation allowance (the targets' normal confirmation latency) earlier than publishAhead
 * alone would need, so a healthy rotation activates by the end of the period. Overdue means a gate held
 * the rotation up: the ACTIVE key keeps signing past its period, by exactly how long the confirmation came
 * after the allowance, and the status says so.
 */
public final class RotationPlanner {
    private RotationPlanner() {}

    public static RotationPlan plan(KeySet current, RotationPolicy policy, GateStatus gates, Instant now,
                                    KeySource keys) {
        var step = new Step(current, now);
        step.removeExpired(policy);
        step.trackConfirmation(gates);
        step.activateIfDue(policy, gates);
        step.createNextIfDue(policy, keys);
        return step.result(policy, gates);
    }

    /** Mutable working copy for one planning call; never escapes it. */
    private static final class Step {
        private final KeySet base;
        private final Instant now;
        private final List<ManagedKey> keys;
        private final List<KeyHandle> newKeys = new ArrayList<>();
        private final List<Transition> transitions = new ArrayList<>();
        private String blocked;

        Step(KeySet base, Instant now) {
            this.base = base;
            this.now = now;
            this.keys = new ArrayList<>(base.keys());
        }

        Optional<ManagedKey> find(KeyState state) {
            return keys.stream().filter(k -> k.state() == state).findFirst();
        }

        void replace(ManagedKey before, ManagedKey after) {
            keys.set(keys.indexOf(before), after);
        }

        void removeExpired(RotationPolicy policy) {
            for (ManagedKey k : List.copyOf(keys)) {
                if (k.state() == KeyState.RETIRED && !now.isBefore(k.stateSince().plus(policy.retention()))) {
                    keys.remove(k);
                    transitions.add(new Transition(k.kid(), KeyState.RETIRED, null, "retired since " + k.stateSince()
                            + "; retention " + policy.retention() + " has passed, so every token it signed has expired"));
                } else if (k.state() == KeyState.VERIFY_ONLY && k.removeAt() != null && !now.isBefore(k.removeAt())) {
                    keys.remove(k);
                    transitions.add(new Transition(k.kid(), KeyState.VERIFY_ONLY, null,
                            "imported key's configured removal time " + k.removeAt() + " has come"));
                }
            }
        }

        void trackConfirmation(GateStatus gates) {
            find(KeyState.NEXT).ifPresent(next -> {
                boolean confirmed = gates.confirmed(next.kid());
                if (confirmed && next.confirmedAt() == null) {
                    replace(next, next.withConfirmedAt(now));
                    transitions.add(new Transition(next.kid(), KeyState.NEXT, KeyState.NEXT,
                            "confirmed by every publication target " + gates.confirmedKidsByTarget().keySet().stream()
                                    .sorted().toList() + "; publish-ahead starts now"));
                } else if (next.confirmedAt() != null && gates.denied(next.kid())) {
                    // A target stopped serving it: relying parties may have cached a JWKS without it.
                    replace(next, next.withConfirmedAt(null));
                    transitions.add(new Transition(next.kid(), KeyState.NEXT, KeyState.NEXT,
                            "confirmation lost: " + gates.pending(next.kid()) + " no longer serve it; publish-ahead restarts"
                                    + " when they do"));
                }
            });
        }

        void activateIfDue(RotationPolicy policy, GateStatus gates) {
            Optional<ManagedKey> next = find(KeyState.NEXT);
            // Confirmed now too: after a restart a target not checked yet keeps the confirmation, but
            // does not let the key sign before it has been seen serving it again.
            if (next.isEmpty() || next.get().confirmedAt() == null || !gates.confirmed(next.get().kid())
                    || now.isBefore(activationTime(next.get(), find(KeyState.ACTIVE).orElse(null), policy))) {
                return;
            }
            find(KeyState.ACTIVE).ifPresent(active -> {
                replace(active, active.withState(KeyState.RETIRED, now));
                transitions.add(new Transition(active.kid(), KeyState.ACTIVE, KeyState.RETIRED,
                        "succeeded by " + next.get().kid() + "; stays published for retention " + policy.retention()));
            });
            replace(next.get(), next.get().withState(KeyState.ACTIVE, now));
            transitions.add(new Transition(next.get().kid(), KeyState.NEXT, KeyState.ACTIVE, "confirmed at "
                    + next.get().confirmedAt() + " and published for publish-ahead " + policy.publishAhead()));
        }

        void createNextIfDue(RotationPolicy policy, KeySource source) {
            Optional<ManagedKey> active = find(KeyState.ACTIVE);
            if (find(KeyState.NEXT).isPresent()) {
                return;
            }
            boolean bootstrap = active.isEmpty();
            if (!bootstrap && now.isBefore(nextCreationTime(active.get(), policy))) {
                return;
            }
            if (keys.size() + 1 > policy.maxKeys()) {
                blocked = "max-keys: " + keys.size() + " keys are published and issuer.rotation.max-keys is "
                        + policy.maxKeys() + ", so a new key would exceed it; remove verify-only keys or raise the limit";
                return;
            }
            KeyHandle key = source.generate(policy.keySpec());
            newKeys.add(key);
            if (bootstrap) {
                // Nothing was ever published, so no relying party can hold a cache that lacks this key.
                keys.add(ManagedKey.added(key.verificationKey(), KeyState.ACTIVE, true, now, "generated")
                        .withGateBypass("first key: no document was published before it"));
                transitions.add(new Transition(key.kid(), null, KeyState.ACTIVE,
                        "no signing key in the set: first " + policy.keySpec().label() + " key signs at once"));
            } else {
                keys.add(ManagedKey.added(key.verificationKey(), KeyState.NEXT, true, now, "generated"));
                transitions.add(new Transition(key.kid(), null, KeyState.NEXT, "active key " + active.get().kid()
                        + " reaches its period " + policy.period() + " at " + active.get().stateSince().plus(policy.period())
                        + "; published ahead for " + policy.publishAhead() + " plus the confirmation allowance "
                        + policy.confirmationAllowance()));
            }
        }

        RotationPlan result(RotationPolicy policy, GateStatus gates) {
            KeySet next = transitions.isEmpty() ? base : new KeySet(base.revision(), keys);
            return new RotationPlan(next, newKeys, transitions, status(next, policy, gates));
        }

        private RotationStatus status(KeySet set, RotationPolicy policy, GateStatus gates) {
            Optional<ManagedKey> active = set.active();
            Duration overdue = active.map(a -> Duration.between(a.stateSince().plus(policy.period()), now))
                    .filter(d -> !d.isNegative()).orElse(Duration.ZERO);
            Optional<ManagedKey> next = set.keys().stream().filter(k -> k.state() == KeyState.NEXT).findFirst();
            String waiting = blocked;
            Instant at = null;
            String what = null;
            if (next.isPresent()) {
                ManagedKey n = next.get();
                if (n.confirmedAt() == null) {
                    waiting = "publication targets " + gates.pending(n.kid()) + " have not confirmed NEXT kid " + n.kid();
                    what = "activate NEXT kid " + n.kid() + " " + policy.publishAhead() + " after confirmation";
                } else {
                    at = activationTime(n, active.orElse(null), policy);
                    what = "activate NEXT kid " + n.kid();
                    if (!gates.confirmed(n.kid())) {
                        waiting = "publication targets " + gates.pending(n.kid()) + " have not been checked again since"
                                + " the start; NEXT kid " + n.kid() + " keeps its confirmation of " + n.confirmedAt();
                    }
                }
            } else if (active.isPresent() && blocked == null) {
                at = nextCreationTime(active.get(), policy);
                what = "publish a NEXT key to succeed " + active.get().kid();
            }
            for (ManagedKey k : set.keys()) {
                Instant due = k.state() == KeyState.RETIRED ? k.stateSince().plus(policy.retention())
                        : k.state() == KeyState.VERIFY_ONLY ? k.removeAt() : null;
                if (due != null && (at == null || due.isBefore(at))) {
                    at = due;
                    what = "remove " + k.state() + " kid " + k.kid();
                }
            }
            if (waiting == null && overdue.compareTo(Duration.ZERO) > 0 && next.isPresent()) {
                waiting = "NEXT kid " + next.get().kid() + " is in its publish-ahead window until " + at;
            }
            return new RotationStatus(at, what, waiting, overdue);
        }
    }

    /**
     * When a confirmed NEXT key activates: publishAhead after its confirmation, and not before the active key's
     * period ends (it was published early only to absorb the confirmation latency). A NEXT key published ahead
     * of schedule by `keys rotate` waits publishAhead plus the allowance from its publication instead.
     */
    static Instant activationTime(ManagedKey next, ManagedKey active, RotationPolicy policy) {
        Instant confirmed = next.confirmedAt().plus(policy.publishAhead());
        Instant onSchedule = next.created().plus(policy.publishAhead()).plus(policy.confirmationAllowance());
        if (active != null && active.stateSince().plus(policy.period()).isBefore(onSchedule)) {
            onSchedule = active.stateSince().plus(policy.period());
        }
        return confirmed.isAfter(onSchedule) ? confirmed : onSchedule;
    }

    /**
     * A successor is published publishAhead, plus the time the targets normally take to confirm it, before
     * the active key's period ends: confirmed within the allowance, it activates on time.
     */
    static Instant nextCreationTime(ManagedKey active, RotationPolicy policy) {
        return active.stateSince().plus(policy.period()).minus(policy.publishAhead())
                .minus(policy.confirmationAllowance());
    }
}
