package io.kubeoidc.rotation;

import static io.kubeoidc.rotation.RotationPlannerTest.EC;
import static io.kubeoidc.rotation.RotationPlannerTest.POLICY;
import static io.kubeoidc.rotation.RotationPlannerTest.T0;
import static io.kubeoidc.rotation.RotationPlannerTest.confirming;
import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.KeyTimeline.Gate;
import io.kubeoidc.rotation.KeyTimeline.Milestone;
import io.kubeoidc.rotation.KeyTimeline.When;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The timeline `keys status` prints, on key sets made by the real planner at known instants. Expected times are
 * the policy's arithmetic written out here (period 30 d, publish-ahead 24 h, retention 48 h, no allowance).
 */
class KeyTimelineTest {
    static final Duration P = Duration.ofDays(30);
    static final Duration A = Duration.ofHours(24);
    static final Duration R = Duration.ofHours(48);

    static KeySet step(KeySet set, Instant now) {
        return RotationPlanner.plan(set, POLICY, confirming(set), now, EC).next();
    }

    static KeyTimeline timeline(KeySet set, String kid, Instant now) {
        return KeyTimeline.of(set, POLICY, now).stream().filter(t -> t.key().kid().equals(kid)).findFirst().orElseThrow();
    }

    static String kid(KeySet set, KeyState state) {
        return set.keys().stream().filter(k -> k.state() == state).findFirst().orElseThrow().kid();
    }

    static Milestone m(When when, Instant at, Gate gate) {
        return new Milestone(when, at, gate);
    }

    @Test
    void theActiveKeyAloneRetiresAtTheEndOfItsPeriod() {
        KeySet s0 = step(KeySet.EMPTY, T0);
        String first = kid(s0, KeyState.ACTIVE);
        KeyTimeline t = timeline(s0, first, T0.plus(Duration.ofDays(3)));
        assertThat(t.published()).isEqualTo(m(When.DONE, T0, null));
        assertThat(t.active()).isEqualTo(m(When.DONE, T0, null));
        assertThat(t.retired()).isEqualTo(m(When.ESTIMATED, T0.plus(P), Gate.PERIOD));
        assertThat(t.removed()).isEqualTo(m(When.ESTIMATED, T0.plus(P).plus(R), Gate.RETENTION));
        assertThat(t.next()).contains(new KeyTimeline.NextTransition(KeyState.RETIRED, t.retired()));
    }

    @Test
    void anUnconfirmedNextWaitsForPublicationAndAConfirmedOneIsScheduled() {
        KeySet s0 = step(KeySet.EMPTY, T0);
        String first = kid(s0, KeyState.ACTIVE);
        Instant created = T0.plus(P).minus(A);
        KeySet s1 = RotationPlanner.plan(s0, POLICY, new GateStatus(java.util.Map.of("http", java.util.Set.of(first))),
                created, EC).next();
        String next = kid(s1, KeyState.NEXT);

        // Two hours after its publication and still unconfirmed: confirmed now, it could sign publish-ahead from now.
        Instant now = created.plus(Duration.ofHours(2));
        KeyTimeline n = timeline(s1, next, now);
        assertThat(n.published()).isEqualTo(m(When.DONE, created, null));
        assertThat(n.active()).isEqualTo(m(When.ESTIMATED, now.plus(A), Gate.PUBLICATION_CONFIRMED));
        assertThat(n.retired()).isEqualTo(m(When.ESTIMATED, now.plus(A).plus(P), Gate.PERIOD));
        assertThat(n.removed()).isEqualTo(m(When.ESTIMATED, now.plus(A).plus(P).plus(R), Gate.RETENTION));
        assertThat(n.next().orElseThrow().to()).isEqualTo(KeyState.ACTIVE);
        assertThat(timeline(s1, first, now).retired()).isEqualTo(n.active());

        // Confirmed 10 min after publication: it signs publish-ahead after that, only time gates it now.
        Instant confirmed = created.plus(Duration.ofMinutes(10));
        KeySet s2 = step(s1, confirmed);
        KeyTimeline c = timeline(s2, next, confirmed.plusSeconds(1));
        assertThat(c.active()).isEqualTo(m(When.SCHEDULED, confirmed.plus(A), Gate.PUBLISH_AHEAD));
        assertThat(timeline(s2, first, confirmed).retired()).isEqualTo(c.active());
        // The planner agrees: one second before, nothing moves; at that instant, the key activates.
        assertThat(step(s2, confirmed.plus(A).minusSeconds(1)).find(next).orElseThrow().state()).isEqualTo(KeyState.NEXT);
        assertThat(step(s2, confirmed.plus(A)).find(next).orElseThrow().state()).isEqualTo(KeyState.ACTIVE);
    }

    @Test
    void aNextConfirmedEarlyWaitsForThePeriodToEnd() {
        RotationPolicy policy = POLICY.withConfirmationAllowance(Duration.ofMinutes(30));
        KeySet s0 = RotationPlanner.plan(KeySet.EMPTY, policy, confirming(KeySet.EMPTY), T0, EC).next();
        Instant created = T0.plus(P).minus(A).minus(Duration.ofMinutes(30));
        KeySet s1 = RotationPlanner.plan(s0, policy, confirming(s0), created, EC).next();
        KeySet s2 = RotationPlanner.plan(s1, policy, confirming(s1), created.plusSeconds(5), EC).next();
        String next = kid(s2, KeyState.NEXT);
        KeyTimeline t = KeyTimeline.of(s2, policy, created.plusSeconds(6)).stream()
                .filter(k -> k.key().kid().equals(next)).findFirst().orElseThrow();
        assertThat(t.active()).isEqualTo(m(When.SCHEDULED, T0.plus(P), Gate.PERIOD));
    }

    @Test
    void aRetiredKeyIsRemovedAfterRetentionAndItsActivationIsItsPredecessorsRetirement() {
        // Retention longer than the period, so three generations are published at once.
        RotationPolicy policy = new RotationPolicy(Duration.ofHours(10), Duration.ofHours(2), Duration.ofHours(30),
                Duration.ofHours(24), Duration.ofHours(1), KeySpec.EC_P256, 10);
        KeySet s = RotationPlanner.plan(KeySet.EMPTY, policy, confirming(KeySet.EMPTY), T0, EC).next();
        String first = kid(s, KeyState.ACTIVE);
        // Every NEXT key is published at active + 8 h, confirmed at once, and activates at active + 10 h.
        List<Instant> activations = new ArrayList<>(List.of(T0));
        for (int i = 1; i <= 2; i++) {
            Instant active = T0.plus(Duration.ofHours(10L * (i - 1)));
            s = RotationPlanner.plan(s, policy, confirming(s), active.plus(Duration.ofHours(8)), EC).next();
            s = RotationPlanner.plan(s, policy, confirming(s), active.plus(Duration.ofHours(8)), EC).next();
            s = RotationPlanner.plan(s, policy, confirming(s), active.plus(Duration.ofHours(10)), EC).next();
            activations.add(active.plus(Duration.ofHours(10)));
        }
        Instant now = T0.plus(Duration.ofHours(21));
        List<KeyTimeline> all = KeyTimeline.of(s, policy, now);
        assertThat(all).extracting(t -> t.key().state()).containsExactly(KeyState.RETIRED, KeyState.RETIRED, KeyState.ACTIVE);
        KeyTimeline oldest = all.get(0);
        assertThat(oldest.key().kid()).isEqualTo(first);
        assertThat(oldest.active()).as("the first key has no predecessor in the set").isEqualTo(Milestone.NOT_RECORDED);
        assertThat(oldest.retired()).isEqualTo(m(When.DONE, activations.get(1), null));
        assertThat(oldest.removed()).isEqualTo(m(When.SCHEDULED, activations.get(1).plus(Duration.ofHours(30)), Gate.RETENTION));
        assertThat(oldest.next()).contains(new KeyTimeline.NextTransition(null, oldest.removed()));
        assertThat(oldest.next().orElseThrow().toName()).isEqualTo("REMOVED");
        KeyTimeline second = all.get(1);
        assertThat(second.active()).isEqualTo(m(When.DONE, activations.get(1), null));
        assertThat(second.retired()).isEqualTo(m(When.DONE, activations.get(2), null));
        assertThat(all.get(2).active()).isEqualTo(m(When.DONE, activations.get(2), null));
    }

    @Test
    void anImportedPublicKeyNeverSignsAndLeavesByItsRemovalTimeOrByCommand() {
        KeySet s0 = step(KeySet.EMPTY, T0);
        var kept = SigningKey.generate(KeySpec.EC_P256, new SecureRandom()).verificationKey();
        var dated = SigningKey.generate(KeySpec.EC_P256, new SecureRandom()).verificationKey();
        Instant removeAt = T0.plus(Duration.ofDays(7));
        List<ManagedKey> keys = new ArrayList<>(s0.keys());
        keys.add(ManagedKey.added(kept, KeyState.VERIFY_ONLY, false, T0, "imported"));
        keys.add(ManagedKey.added(dated, KeyState.VERIFY_ONLY, false, T0, "imported").withRemoveAt(removeAt));
        KeySet set = new KeySet(1, keys);
        KeyTimeline k = timeline(set, kept.kid(), T0.plusSeconds(1));
        assertThat(k.active()).isEqualTo(Milestone.NEVER);
        assertThat(k.retired()).isEqualTo(Milestone.NEVER);
        assertThat(k.removed()).isEqualTo(m(When.WAITING, null, Gate.OPERATOR));
        assertThat(k.next()).contains(new KeyTimeline.NextTransition(null, k.removed()));
        assertThat(timeline(set, dated.kid(), T0.plusSeconds(1)).removed()).isEqualTo(m(When.SCHEDULED, removeAt, Gate.REMOVE_AT));
    }

    @Test
    void withMaxKeysReachedTheSuccessorWaitsForRoom() {
        RotationPolicy policy = new RotationPolicy(P, A, R, Duration.ofHours(24), Duration.ofHours(1), KeySpec.EC_P256, 3);
        KeySet s0 = RotationPlanner.plan(KeySet.EMPTY, policy, confirming(KeySet.EMPTY), T0, EC).next();
        List<ManagedKey> keys = new ArrayList<>(s0.keys());
        for (int i = 0; i < 2; i++) {
            keys.add(ManagedKey.added(SigningKey.generate(KeySpec.EC_P256, new SecureRandom()).verificationKey(),
                    KeyState.VERIFY_ONLY, false, T0, "imported"));
        }
        KeySet full = new KeySet(1, keys);
        KeyTimeline active = KeyTimeline.of(full, policy, T0.plusSeconds(1)).get(0);
        assertThat(active.retired()).isEqualTo(m(When.WAITING, null, Gate.MAX_KEYS));
        assertThat(active.removed()).isEqualTo(m(When.WAITING, null, Gate.MAX_KEYS));
        // The planner agrees: past the creation time it publishes no NEXT key.
        assertThat(RotationPlanner.plan(full, policy, confirming(full), T0.plus(P), EC).status().waitingFor())
                .startsWith("max-keys");

        // One imported key leaves before the successor is due: room then, so the usual estimate.
        keys.set(2, keys.get(2).withRemoveAt(T0.plus(Duration.ofDays(1))));
        KeyTimeline roomy = KeyTimeline.of(new KeySet(1, keys), policy, T0.plusSeconds(1)).get(0);
        assertThat(roomy.retired()).isEqualTo(m(When.ESTIMATED, T0.plus(P), Gate.PERIOD));
    }

    @Test
    void aSuccessorOverdueForPublicationIsEstimatedFromNow() {
        KeySet s0 = step(KeySet.EMPTY, T0);
        Instant late = T0.plus(P).plus(Duration.ofDays(2)); // the service was down: no NEXT key was published
        KeyTimeline t = KeyTimeline.of(s0, POLICY, late).get(0);
        assertThat(t.retired()).isEqualTo(m(When.ESTIMATED, late.plus(A), Gate.PERIOD));
    }
}
