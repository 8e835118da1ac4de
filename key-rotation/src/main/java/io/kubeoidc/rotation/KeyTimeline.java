package io.kubeoidc.rotation;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One key's life under a policy, as a pure function of (key set, policy, now): when it was or will be
 * published, active, retired and removed, and what each future step waits for. Future times are what the
 * planner would do if every gate opened on time ({@link When#ESTIMATED}), or exactly when it will do it
 * ({@link When#SCHEDULED}, time alone gates it). For `keys status`; the planner itself never reads it.
 */
public record KeyTimeline(ManagedKey key, Milestone published, Milestone active, Milestone retired, Milestone removed) {

    /** What a step waits for, in words an operator and a script can both match on. */
    public enum Gate {
        PUBLICATION_CONFIRMED("publication confirmed by all targets"),
        PUBLISH_AHEAD("publish-ahead elapsed since confirmation"),
        PERIOD("period elapsed"),
        MAX_KEYS("room under max-keys"),
        RETENTION("retention elapsed"),
        REMOVE_AT("configured removal time"),
        OPERATOR("keys remove");

        private final String text;

        Gate(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** How sure a milestone's time is. */
    public enum When {
        /** Happened at {@code at}. */
        DONE,
        /** Happened, but the store does not record when (the key set keeps only each key's current state's start). */
        NOT_RECORDED,
        /** Will happen at {@code at}: only time gates it. */
        SCHEDULED,
        /** Will happen at {@code at} at the earliest, if the gate opens on time (for example within the allowance). */
        ESTIMATED,
        /** Waits for the gate with no time to expect: {@code at} is null. */
        WAITING,
        /** Never happens to this key (an imported public key never signs). */
        NEVER;

        public boolean ahead() {
            return this == SCHEDULED || this == ESTIMATED || this == WAITING;
        }
    }

    /**
     * @param at   when it happened or is expected; null for NOT_RECORDED, WAITING and NEVER
     * @param gate what a future step waits for; null for past ones and NEVER
     */
    public record Milestone(When when, Instant at, Gate gate) {
        static Milestone done(Instant at) {
            return new Milestone(When.DONE, at, null);
        }

        static final Milestone NEVER = new Milestone(When.NEVER, null, null);
        static final Milestone NOT_RECORDED = new Milestone(When.NOT_RECORDED, null, null);

        /** The step {@code delay} after this one, under {@code gate}: never surer than this one. */
        Milestone then(java.time.Duration delay, Gate gate) {
            return at == null ? new Milestone(When.WAITING, null, this.gate) : new Milestone(When.ESTIMATED, at.plus(delay), gate);
        }
    }

    /**
     * The key's next move.
     *
     * @param to the state it moves to; null for leaving the key set (REMOVED)
     */
    public record NextTransition(KeyState to, Milestone milestone) {
        public String toName() {
            return to == null ? "REMOVED" : to.name();
        }
    }

    /** The first step still ahead; empty for none (cannot happen for a key in the set, which is always removed). */
    public Optional<NextTransition> next() {
        if (active.when().ahead()) {
            return Optional.of(new NextTransition(KeyState.ACTIVE, active));
        }
        if (retired.when().ahead()) {
            return Optional.of(new NextTransition(KeyState.RETIRED, retired));
        }
        return removed.when().ahead() ? Optional.of(new NextTransition(null, removed)) : Optional.empty();
    }

    /** The timeline of every key in the set, in publication order. */
    public static List<KeyTimeline> of(KeySet set, RotationPolicy policy, Instant now) {
        Milestone succession = successorActivation(set, policy, now);
        return set.keys().stream().map(k -> of(k, set, policy, succession)).toList();
    }

    private static KeyTimeline of(ManagedKey k, KeySet set, RotationPolicy policy, Milestone succession) {
        Milestone published = Milestone.done(k.created());
        return switch (k.state()) {
            case ACTIVE -> new KeyTimeline(k, published, Milestone.done(k.stateSince()), succession,
                    succession.then(policy.retention(), Gate.RETENTION));
            case NEXT -> {
                Milestone retired = succession.then(policy.period(), Gate.PERIOD);
                yield new KeyTimeline(k, published, succession, retired, retired.then(policy.retention(), Gate.RETENTION));
            }
            case RETIRED -> new KeyTimeline(k, published, activation(k, set), Milestone.done(k.stateSince()),
                    new Milestone(When.SCHEDULED, k.stateSince().plus(policy.retention()), Gate.RETENTION));
            case VERIFY_ONLY -> new KeyTimeline(k, published, Milestone.NEVER, Milestone.NEVER, k.removeAt() != null
                    ? new Milestone(When.SCHEDULED, k.removeAt(), Gate.REMOVE_AT) : new Milestone(When.WAITING, null, Gate.OPERATOR));
        };
    }

    /**
     * When the ACTIVE key hands over to its successor (which is also when that successor activates), by the
     * planner's own rules: a confirmed NEXT key at {@link RotationPlanner#activationTime}; an unconfirmed one
     * publish-ahead after a confirmation that came now at the earliest; without a NEXT key, the successor is
     * published at {@link RotationPlanner#nextCreationTime} (or at once if that has passed) and, confirmed
     * within the allowance, activates publish-ahead plus the allowance later, provided max-keys leaves room then.
     */
    static Milestone successorActivation(KeySet set, RotationPolicy policy, Instant now) {
        ManagedKey active = set.active().orElse(null);
        Optional<ManagedKey> next = set.keys().stream().filter(k -> k.state() == KeyState.NEXT).findFirst();
        if (next.isPresent()) {
            ManagedKey n = next.get();
            if (n.confirmedAt() != null) {
                Instant at = RotationPlanner.activationTime(n, active, policy);
                return new Milestone(When.SCHEDULED, at,
                        at.equals(n.confirmedAt().plus(policy.publishAhead())) ? Gate.PUBLISH_AHEAD : Gate.PERIOD);
            }
            Instant earliest = RotationPlanner.activationTime(n.withConfirmedAt(later(now, n.created())), active, policy);
            return new Milestone(When.ESTIMATED, earliest, Gate.PUBLICATION_CONFIRMED);
        }
        if (active == null) {
            return new Milestone(When.WAITING, null, Gate.PUBLICATION_CONFIRMED);
        }
        Instant created = later(RotationPlanner.nextCreationTime(active, policy), now);
        if (keysStillPublishedAt(set, policy, created) + 1 > policy.maxKeys()) {
            return new Milestone(When.WAITING, null, Gate.MAX_KEYS);
        }
        return new Milestone(When.ESTIMATED, created.plus(policy.publishAhead()).plus(policy.confirmationAllowance()),
                Gate.PERIOD);
    }

    /** Keys the set will still publish at {@code at}: retention and configured removals free room by then. */
    private static long keysStillPublishedAt(KeySet set, RotationPolicy policy, Instant at) {
        return set.keys().stream().filter(k -> !(k.state() == KeyState.RETIRED
                && !at.isBefore(k.stateSince().plus(policy.retention())))
                && !(k.state() == KeyState.VERIFY_ONLY && k.removeAt() != null && !at.isBefore(k.removeAt()))).count();
    }

    /**
     * When a RETIRED key had started signing. The store keeps only the start of each key's current state, but
     * the planner retires the ACTIVE key at the very instant its successor activates, and while a key waits as
     * NEXT no other key can retire: so the one retirement between this key's creation and its own retirement is
     * its activation. Once that predecessor has been removed the time is no longer known.
     */
    private static Milestone activation(ManagedKey k, KeySet set) {
        return set.keys().stream().filter(o -> !o.kid().equals(k.kid()) && o.state() == KeyState.RETIRED)
                .map(ManagedKey::stateSince)
                .filter(r -> !r.isBefore(k.created()) && r.isBefore(k.stateSince()))
                .max(Instant::compareTo).map(Milestone::done).orElse(Milestone.NOT_RECORDED);
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
