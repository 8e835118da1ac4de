package io.kubeoidc.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RotationPlannerTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration P = Duration.ofDays(30);
    static final Duration A = Duration.ofHours(24);
    static final RotationPolicy POLICY = RotationPolicy.defaults(Duration.ofHours(1));
    static final KeySource EC = spec -> SigningKey.generate(KeySpec.EC_P256, new SecureRandom());

    static GateStatus confirming(KeySet set) {
        Set<String> kids = set.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet());
        return new GateStatus(Map.of("http", kids, "blob", kids));
    }

    static GateStatus blobLags(KeySet set, KeySet old) {
        return new GateStatus(Map.of("http", set.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet()),
                "blob", old.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet())));
    }

    static KeySet step(KeySet set, GateStatus gates, Instant now) {
        return RotationPlanner.plan(set, POLICY, gates, now, EC).next();
    }

    static KeyState state(KeySet set, String kid) {
        return set.find(kid).map(ManagedKey::state).orElse(null);
    }

    @Test
    void fullCycleOnSchedule() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        String first = s0.active().orElseThrow().kid();

        Instant create = T0.plus(P).minus(A);
        var before = RotationPlanner.plan(s0, POLICY, confirming(s0), create.minusSeconds(1), EC);
        assertThat(before.changed()).isFalse();
        assertThat(before.status().nextTransitionAt()).isEqualTo(create);

        KeySet s1 = step(s0, confirming(s0), create);
        String next = s1.keys().stream().filter(k -> k.state() == KeyState.NEXT).findFirst().orElseThrow().kid();
        assertThat(s1.find(next).orElseThrow().confirmedAt()).isNull(); // the gates had not seen it yet

        Instant confirmed = create.plusSeconds(60);
        KeySet s2 = step(s1, confirming(s1), confirmed);
        assertThat(s2.find(next).orElseThrow().confirmedAt()).isEqualTo(confirmed);

        assertThat(state(step(s2, confirming(s2), confirmed.plus(A).minusSeconds(1)), next)).isEqualTo(KeyState.NEXT);
        KeySet s3 = step(s2, confirming(s2), confirmed.plus(A));
        assertThat(state(s3, next)).isEqualTo(KeyState.ACTIVE);
        assertThat(state(s3, first)).isEqualTo(KeyState.RETIRED);

        Instant retired = confirmed.plus(A);
        assertThat(state(step(s3, confirming(s3), retired.plus(POLICY.retention()).minusSeconds(1)), first))
                .isEqualTo(KeyState.RETIRED);
        assertThat(step(s3, confirming(s3), retired.plus(POLICY.retention())).find(first)).isEmpty();
    }

    @Test
    void anUnconfirmedNextNeverSignsAndTheActiveKeyRunsOverdue() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        KeySet s1 = step(s0, confirming(s0), T0.plus(P).minus(A));
        Instant late = T0.plus(P).plus(Duration.ofDays(10));
        var plan = RotationPlanner.plan(s1, POLICY, blobLags(s1, s0), late, EC);
        assertThat(plan.next().active().orElseThrow().kid()).isEqualTo(s0.active().orElseThrow().kid());
        assertThat(plan.status().overdue()).isTrue();
        assertThat(plan.status().overdueBy()).isEqualTo(Duration.ofDays(10));
        assertThat(plan.status().waitingFor()).startsWith("publication targets [blob] have not confirmed NEXT kid");
    }

    @Test
    void lostConfirmationRestartsPublishAhead() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        KeySet s1 = step(s0, confirming(s0), T0.plus(P).minus(A));
        KeySet s2 = step(s1, confirming(s1), T0.plus(P).minus(A).plusSeconds(1));
        var lost = RotationPlanner.plan(s2, POLICY, blobLags(s2, s0), T0.plus(P), EC);
        assertThat(lost.transitions()).singleElement().satisfies(t -> assertThat(t.why()).startsWith("confirmation lost: [blob]"));
        Instant again = T0.plus(P).plus(Duration.ofHours(2));
        KeySet s3 = step(lost.next(), confirming(lost.next()), again);
        assertThat(s3.active()).map(ManagedKey::kid).contains(s0.active().orElseThrow().kid());
        assertThat(step(s3, confirming(s3), again.plus(A)).active()).map(ManagedKey::kid)
                .isNotEqualTo(s0.active().map(ManagedKey::kid));
    }

    /**
     * A restart: the blob mirror has not been checked yet. Its confirmation of the NEXT key is kept (a
     * restart must not restart publish-ahead), but the key does not sign until the mirror is seen again.
     */
    @Test
    void aTargetNotCheckedSinceTheStartNeitherConfirmsNorDenies() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        KeySet s1 = step(s0, confirming(s0), T0.plus(P).minus(A));
        Instant confirmedAt = T0.plus(P).minus(A).plusSeconds(1);
        KeySet s2 = step(s1, confirming(s1), confirmedAt);
        String next = s2.keys().stream().filter(k -> k.state() == KeyState.NEXT).findFirst().orElseThrow().kid();
        Set<String> kids = s2.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet());
        GateStatus restarted = new GateStatus(Map.of("http", kids), Set.of("blob"));

        var early = RotationPlanner.plan(s2, POLICY, restarted, T0.plus(P).minus(Duration.ofHours(1)), EC);
        assertThat(early.changed()).isFalse();
        var due = RotationPlanner.plan(s2, POLICY, restarted, T0.plus(P).plusSeconds(5), EC);
        assertThat(due.changed()).as("no activation before the blob mirror is seen serving it again").isFalse();
        assertThat(due.status().waitingFor()).contains("[blob] have not been checked again since the start")
                .contains("keeps its confirmation of " + confirmedAt);

        KeySet checked = step(s2, confirming(s2), T0.plus(P).plusSeconds(6));
        assertThat(checked.active()).map(ManagedKey::kid).contains(next);
        var denied = RotationPlanner.plan(s2, POLICY, blobLags(s2, s0), T0.plus(P).plusSeconds(6), EC);
        assertThat(denied.transitions()).singleElement().satisfies(t -> assertThat(t.why()).startsWith("confirmation lost: [blob]"));
    }

    @Test
    void maxKeysBlocksANewKeyAndSaysWhy() {
        var policy = new RotationPolicy(P, A, Duration.ofHours(48), Duration.ofHours(24), Duration.ofHours(1), KeySpec.EC_P256, 3);
        KeySet s0 = RotationPlanner.plan(KeySet.EMPTY, policy, confirming(KeySet.EMPTY), T0, EC).next();
        var keys = new java.util.ArrayList<>(s0.keys());
        keys.add(ManagedKey.added(EC.generate(KeySpec.EC_P256).verificationKey(), KeyState.VERIFY_ONLY, false, T0, "imported"));
        keys.add(ManagedKey.added(EC.generate(KeySpec.EC_P256).verificationKey(), KeyState.VERIFY_ONLY, false, T0, "imported"));
        KeySet full = new KeySet(1, keys);
        var plan = RotationPlanner.plan(full, policy, confirming(full), T0.plus(P).plusSeconds(3600), EC);
        assertThat(plan.changed()).isFalse();
        assertThat(plan.status().waitingFor()).startsWith("max-keys: 3 keys are published and issuer.rotation.max-keys is 3");
        assertThat(plan.status().overdue()).isTrue();
    }

    @Test
    void verifyOnlyKeysLeaveAtTheirRemovalTime() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        var imported = ManagedKey.added(EC.generate(KeySpec.EC_P256).verificationKey(), KeyState.VERIFY_ONLY, false, T0, "imported")
                .withRemoveAt(T0.plus(Duration.ofDays(2)));
        KeySet s1 = new KeySet(1, List.of(s0.keys().get(0), imported));
        assertThat(step(s1, confirming(s1), T0.plus(Duration.ofDays(2)).minusSeconds(1)).keys()).hasSize(2);
        assertThat(step(s1, confirming(s1), T0.plus(Duration.ofDays(2))).keys()).hasSize(1);
    }

    @Test
    void planningIsIdempotent() {
        KeySet s = KeySet.EMPTY;
        Instant t = T0;
        for (int i = 0; i < 200; i++, t = t.plus(Duration.ofHours(7))) {
            GateStatus gates = confirming(s);
            s = step(s, gates, t);
            var again = RotationPlanner.plan(s, POLICY, gates, t, EC);
            assertThat(again.changed()).as("at " + t).isFalse();
            assertThat(again.next()).isSameAs(s);
        }
    }

    @Test
    void rotateCommandPublishesNextAndStillWaitsForGates() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        var plan = ManualRotation.rotateNow(s0, POLICY, T0.plusSeconds(10), EC);
        KeySet s1 = plan.next();
        String next = plan.newKeys().get(0).kid();
        assertThat(state(s1, next)).isEqualTo(KeyState.NEXT);
        assertThatThrownBy(() -> ManualRotation.rotateNow(s1, POLICY, T0, EC)).hasMessageContaining("already under way");
        KeySet s2 = step(s1, confirming(s1), T0.plusSeconds(20));
        assertThat(state(step(s2, confirming(s2), T0.plusSeconds(20).plus(A)), next)).isEqualTo(KeyState.ACTIVE);
    }

    /** SPIRE's rule: an ACTIVE key signs only when confirmed, or when the set records why it need not be. */
    @Test
    void everyActiveKeyThePlannerMakesMaySignAndAnUnvouchedOneMayNot() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        ManagedKey first = s0.active().orElseThrow();
        assertThat(first.confirmedAt()).isNull();
        assertThat(first.gateBypass()).contains("first key");
        assertThat(first.signingRefusal()).isEmpty();

        KeySet s = s0;
        Instant t = T0.plus(P).minus(A);
        for (int i = 0; i < 3; i++) { // create, confirm, activate
            s = step(s, confirming(s), t);
            t = t.plus(A).plusSeconds(60);
        }
        ManagedKey rotated = s.active().orElseThrow();
        assertThat(rotated.kid()).isNotEqualTo(first.kid());
        assertThat(rotated.confirmedAt()).isNotNull();
        assertThat(rotated.gateBypass()).isNull();
        assertThat(rotated.signingRefusal()).isEmpty();

        assertThat(rotated.withConfirmedAt(null).signingRefusal()).hasValueSatisfying(why ->
                assertThat(why).contains("ACTIVE kid " + rotated.kid() + " was never confirmed"));
        assertThat(s.keys().stream().filter(k -> k.state() == KeyState.RETIRED).findFirst().orElseThrow().signingRefusal())
                .hasValueSatisfying(why -> assertThat(why).contains("is RETIRED, not ACTIVE"));
    }

    @Test
    void emergencyRevocationRemovesTheKeyAndActivatesAnotherAtOnce() {
        KeySet s0 = step(KeySet.EMPTY, confirming(KeySet.EMPTY), T0);
        String leaked = s0.active().orElseThrow().kid();
        var plan = ManualRotation.emergencyRevoke(s0, leaked, POLICY, T0.plusSeconds(5), EC);
        assertThat(plan.next().find(leaked)).isEmpty();
        assertThat(plan.next().active()).map(ManagedKey::kid).contains(plan.newKeys().get(0).kid());

        // With a NEXT in flight, the NEXT takes over instead of a brand-new key.
        KeySet s1 = step(s0, confirming(s0), T0.plus(P).minus(A));
        String next = s1.keys().get(1).kid();
        var withNext = ManualRotation.emergencyRevoke(s1, leaked, POLICY, T0.plus(P), EC);
        assertThat(withNext.newKeys()).isEmpty();
        assertThat(withNext.next().active()).map(ManagedKey::kid).contains(next);

        // Both emergency paths sign unconfirmed, so they record why (a replica refuses an ACTIVE key without).
        assertThat(plan.next().active().orElseThrow().gateBypass()).contains("emergency");
        assertThat(withNext.next().active().orElseThrow().signingRefusal()).isEmpty();

        assertThatThrownBy(() -> ManualRotation.emergencyRevoke(s0, "nope", POLICY, T0, EC))
                .hasMessageContaining("unknown kid nope");
        assertThatThrownBy(() -> ManualRotation.removeVerifyOnly(s0, leaked, T0))
                .hasMessageContaining("is ACTIVE, not VERIFY_ONLY");
    }

    @Test
    void policyRulesNameThePropertyAndWhy() {
        assertThat(new RotationPolicy(P, Duration.ofMinutes(10), Duration.ofHours(48), Duration.ofHours(24),
                Duration.ofHours(1), KeySpec.RSA_2048, 10).problems())
                .singleElement().asString().startsWith("issuer.rotation.publish-ahead (PT10M) must be at least issuer.http.max-age (PT1H)");
        assertThat(new RotationPolicy(P, A, Duration.ofHours(12), Duration.ofHours(24), Duration.ofHours(1),
                KeySpec.RSA_2048, 10).problems())
                .singleElement().asString().startsWith("issuer.rotation.retention (PT12H) must be at least issuer.tokens.max-lifetime (PT24H)");
        assertThat(new RotationPolicy(P, A, Duration.ofHours(48), Duration.ofHours(24), Duration.ofHours(1),
                KeySpec.RSA_2048, 101).problems())
                .singleElement().asString().contains("Entra ID and AWS read only the first 100 keys");
        assertThat(new RotationPolicy(Duration.ofHours(12), A, Duration.ofHours(48), Duration.ofHours(24),
                Duration.ofHours(1), KeySpec.RSA_2048, 10).problems())
                .singleElement().asString().contains("must be shorter than issuer.rotation.period");
        assertThat(POLICY.retention()).isEqualTo(Duration.ofHours(48));
    }

    @Test
    void maxKeysMustHoldWhatThePolicyKeepsWithTheImportedKeys() {
        // 30 d period, 48 h retention: one RETIRED key at a time, + ACTIVE + NEXT.
        assertThat(POLICY.keysHeldAtOnce()).isEqualTo(3);
        assertThat(POLICY.maxKeysTooLow(7)).isNull();
        assertThat(POLICY.maxKeysTooLow(8)).isEqualTo("issuer.rotation.max-keys (10) cannot hold the keys this policy"
                + " publishes at once: 1 RETIRED (retention PT48H / period PT720H, rounded up) + ACTIVE + NEXT + 8 imported"
                + " VERIFY_ONLY = 11; rotation would stop at the cap. Set max-keys to at least 11, or shorten retention or"
                + " lengthen period");
    }

    /** A healthy rotation: NEXT appears publish-ahead plus the allowance early, and switches exactly at the period's end. */
    @Test
    void withAConfirmationAllowanceNextIsPublishedEarlierAndActivatesAtThePeriodsEnd() {
        Duration allowance = Duration.ofSeconds(15);
        RotationPolicy policy = POLICY.withConfirmationAllowance(allowance);
        KeySet s0 = RotationPlanner.plan(KeySet.EMPTY, policy, confirming(KeySet.EMPTY), T0, EC).next();
        Instant create = T0.plus(P).minus(A).minus(allowance);
        assertThat(RotationPlanner.plan(s0, policy, confirming(s0), create.minusSeconds(1), EC).changed()).isFalse();
        KeySet s1 = RotationPlanner.plan(s0, policy, confirming(s0), create, EC).next();
        String next = s1.keys().stream().filter(k -> k.state() == KeyState.NEXT).findFirst().orElseThrow().kid();
        KeySet s2 = RotationPlanner.plan(s1, policy, confirming(s1), create.plusSeconds(10), EC).next(); // confirmed
        // publish-ahead after the confirmation has passed 5 s before the period ends: it waits for the end.
        var early = RotationPlanner.plan(s2, policy, confirming(s2), T0.plus(P).minusSeconds(1), EC);
        assertThat(early.changed()).isFalse();
        assertThat(early.status().overdue()).isFalse();
        assertThat(early.status().nextTransitionAt()).isEqualTo(T0.plus(P));
        var switched = RotationPlanner.plan(s2, policy, confirming(s2), T0.plus(P), EC);
        assertThat(switched.next().active()).map(ManagedKey::kid).contains(next);
        assertThat(switched.status().overdue()).isFalse();
        assertThat(KeyTimeline.of(s2, policy, T0.plus(P).minusSeconds(1)).get(1).active().at()).isEqualTo(T0.plus(P));
    }
}
