package io.kubeoidc.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Drives the planner over two simulated years per seed, with two publication targets that lag by
 * random delays and suffer random outages. The invariants are checked against what the simulation
 * itself observed (gate answers, signing instants), not against the planner's own bookkeeping.
 */
class RotationSimulationTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration YEARS_2 = Duration.ofDays(730);
    private static final Duration JWKS_MAX_AGE = Duration.ofHours(1);

    /** A publication target: serves the key set as it was {@code delay} ago, or nothing during an outage. */
    private static final class Target {
        final String name;
        final Duration maxDelay;
        final double outagesPerDay;
        final Duration maxOutage;
        Duration delay = Duration.ZERO;
        Instant outageUntil = Instant.MIN;
        Instant nextResample = Instant.MIN;
        long outageCount;

        Target(String name, Duration maxDelay, double outagesPerDay, Duration maxOutage) {
            this.name = name;
            this.maxDelay = maxDelay;
            this.outagesPerDay = outagesPerDay;
            this.maxOutage = maxOutage;
        }

        Set<String> view(Instant now, List<Map.Entry<Instant, Set<String>>> history, Random rnd, Duration tick) {
            if (!now.isBefore(nextResample)) {
                delay = Duration.ofSeconds((long) (rnd.nextDouble() * maxDelay.toSeconds()));
                nextResample = now.plus(Duration.ofHours(6));
            }
            double p = outagesPerDay * tick.toSeconds() / 86400.0;
            if (now.isAfter(outageUntil) && rnd.nextDouble() < p) {
                outageUntil = now.plusSeconds((long) (rnd.nextDouble() * maxOutage.toSeconds()));
                outageCount++;
            }
            if (now.isBefore(outageUntil)) {
                return Set.of();
            }
            Instant seen = now.minus(delay);
            Set<String> kids = Set.of();
            for (var e : history) {
                if (e.getKey().isAfter(seen)) {
                    break;
                }
                kids = e.getValue();
            }
            return kids;
        }
    }

    record Outcome(long seed, String scenario, RotationPolicy policy, long ticks, long tokens, long activations,
                   long removals, long confirmationsLost, long overdueTicks, Duration maxOverdue, int maxPublished,
                   long blockedTicks, long outages) {
        String line() {
            return String.format("seed=%-3d %-9s period=%-6s publishAhead=%-5s retention=%-5s lifetime=%-4s ticks=%d"
                            + " tokens=%d activations=%d removals=%d confirmationsLost=%d overdueTicks=%d maxOverdue=%s"
                            + " maxPublished=%d blockedTicks=%d outages=%d violations=0",
                    seed, scenario, policy.period(), policy.publishAhead(), policy.retention(), policy.maxTokenLifetime(),
                    ticks, tokens, activations, removals, confirmationsLost, overdueTicks, maxOverdue, maxPublished,
                    blockedTicks, outages);
        }
    }

    static RotationPolicy randomPolicy(Random rnd) {
        Duration period = Duration.ofDays(7 + rnd.nextInt(54));
        Duration lifetime = Duration.ofHours(1 + rnd.nextInt(48));
        long aheadHours = 1 + rnd.nextInt((int) Math.min(72, period.toHours() / 2));
        Duration retention = lifetime.plus(Duration.ofHours(rnd.nextInt(49)));
        return RotationPolicy.of(period, Duration.ofHours(aheadHours), retention, lifetime, JWKS_MAX_AGE,
                KeySpec.EC_P256, 10);
    }

    static Outcome simulate(long seed) {
        Random rnd = new Random(seed);
        String scenario = seed % 4 == 0 ? "healthy" : seed % 4 == 1 ? "outages" : seed % 4 == 2 ? "slow-blob" : "flaky";
        RotationPolicy policy = seed % 3 == 0 ? RotationPolicy.defaults(JWKS_MAX_AGE) : randomPolicy(rnd);
        List<Target> targets = List.of(
                new Target("http", Duration.ofMinutes(2), scenario.equals("healthy") ? 0 : 0.01, Duration.ofHours(2)),
                switch (scenario) {
                    case "healthy" -> new Target("blob", Duration.ofMinutes(10), 0, Duration.ZERO);
                    case "outages" -> new Target("blob", Duration.ofHours(6), 0.05, Duration.ofDays(5));
                    case "slow-blob" -> new Target("blob", Duration.ofHours(48), 0.01, Duration.ofDays(1));
                    default -> new Target("blob", Duration.ofHours(2), 1.0, Duration.ofHours(3));
                });
        SecureRandom keyRandom = new SecureRandom();
        KeySource source = spec -> SigningKey.generate(KeySpec.EC_P256, keyRandom);

        KeySet set = KeySet.EMPTY;
        List<Map.Entry<Instant, Set<String>>> history = new ArrayList<>();
        Map<String, Instant> lastSigned = new HashMap<>();
        Map<String, Instant> confirmedSince = new HashMap<>();
        long ticks = 0, tokens = 0, activations = 0, removals = 0, lost = 0, overdueTicks = 0, blocked = 0;
        Duration maxOverdue = Duration.ZERO;
        int maxPublished = 0;
        Instant now = START;
        while (now.isBefore(START.plus(YEARS_2))) {
            Duration tick = Duration.ofMinutes(5 + rnd.nextInt(86));
            now = now.plus(tick);
            ticks++;
            Map<String, Set<String>> views = new LinkedHashMap<>();
            for (Target t : targets) {
                views.put(t.name, t.view(now, history, rnd, tick));
            }
            GateStatus gates = new GateStatus(views);
            trackConfirmations(set, gates, now, confirmedSince);

            RotationPlan plan = RotationPlanner.plan(set, policy, gates, now, source);
            KeySet next = plan.next();
            for (ManagedKey before : set.keys()) {
                if (next.find(before.kid()).isEmpty()) {
                    removals++;
                    Instant signed = lastSigned.get(before.kid());
                    // Invariant: no key is removed while a token it signed can still be valid.
                    assertThat(signed == null || !now.isBefore(signed.plus(policy.maxTokenLifetime())))
                            .as("seed %d: %s removed at %s but signed a token at %s", seed, before.kid(), now, signed)
                            .isTrue();
                }
            }
            for (ManagedKey after : next.keys()) {
                boolean becameActive = after.state() == KeyState.ACTIVE
                        && set.find(after.kid()).map(k -> k.state() != KeyState.ACTIVE).orElse(true);
                if (becameActive && !history.isEmpty()) {
                    activations++;
                    Instant since = confirmedSince.get(after.kid());
                    // Invariant: a key signs only after every target confirmed it for publish-ahead, without a gap.
                    assertThat(since != null && !now.isBefore(since.plus(policy.publishAhead())))
                            .as("seed %d: %s activated at %s, continuously confirmed since %s", seed, after.kid(), now, since)
                            .isTrue();
                }
            }
            lost += plan.transitions().stream().filter(t -> t.why().startsWith("confirmation lost")).count();
            // Invariant: exactly one ACTIVE key, and never more keys than max-keys.
            assertThat(next.keys().stream().filter(k -> k.state() == KeyState.ACTIVE).count()).isEqualTo(1);
            assertThat(next.keys().size()).isLessThanOrEqualTo(policy.maxKeys());
            if (plan.changed()) {
                history.add(Map.entry(now, next.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet())));
                set = new KeySet(set.revision() + 1, next.keys());
            }
            maxPublished = Math.max(maxPublished, set.keys().size());

            String signer = set.active().orElseThrow().kid();
            lastSigned.put(signer, now);
            tokens++;
            if (plan.status().overdue()) {
                overdueTicks++;
                maxOverdue = plan.status().overdueBy().compareTo(maxOverdue) > 0 ? plan.status().overdueBy() : maxOverdue;
            }
            if (plan.status().waitingFor() != null && plan.status().waitingFor().startsWith("max-keys")) {
                blocked++;
            }
        }
        long outages = targets.stream().mapToLong(t -> t.outageCount).sum();
        return new Outcome(seed, scenario, policy, ticks, tokens, activations, removals, lost, overdueTicks, maxOverdue,
                maxPublished, blocked, outages);
    }

    @Test
    void twoSimulatedYearsKeepEveryInvariant() throws Exception {
        List<Outcome> outcomes = new ArrayList<>();
        for (long seed = 1; seed <= 24; seed++) {
            outcomes.add(simulate(seed));
        }
        List<String> lines = new ArrayList<>(outcomes.stream().map(Outcome::line).toList());
        lines.add(String.format("total: runs=%d ticks=%d tokens=%d activations=%d removals=%d confirmationsLost=%d"
                        + " overdueTicks=%d outages=%d violations=0", outcomes.size(),
                outcomes.stream().mapToLong(Outcome::ticks).sum(), outcomes.stream().mapToLong(Outcome::tokens).sum(),
                outcomes.stream().mapToLong(Outcome::activations).sum(), outcomes.stream().mapToLong(Outcome::removals).sum(),
                outcomes.stream().mapToLong(Outcome::confirmationsLost).sum(),
                outcomes.stream().mapToLong(Outcome::overdueTicks).sum(), outcomes.stream().mapToLong(Outcome::outages).sum()));
        Path report = Path.of("target", "rotation-simulation.txt");
        Files.createDirectories(report.getParent());
        Files.write(report, lines);
        lines.forEach(System.out::println);

        for (Outcome o : outcomes) {
            // Rotation must also make progress: a healthy run rotates about once per period.
            long expected = YEARS_2.toDays() / o.policy().period().toDays();
            if (o.scenario().equals("healthy")) {
                assertThat(o.activations()).as(o.line()).isGreaterThanOrEqualTo(expected - 1);
                assertThat(o.maxOverdue()).as(o.line()).isLessThan(Duration.ofHours(3));
            } else {
                assertThat(o.activations()).as(o.line()).isGreaterThan(0);
            }
            assertThat(o.maxPublished()).isLessThanOrEqualTo(o.policy().maxKeys());
        }
    }

    /** The service's RotationIT-like policy at a 250 ms check interval, with its confirmation allowance. */
    static final Duration CHECK = Duration.ofMillis(250);
    static final RotationPolicy FAST = new RotationPolicy(Duration.ofSeconds(20), Duration.ofSeconds(8),
            Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), KeySpec.EC_P256, 10,
            CHECK.multipliedBy(2).plusSeconds(5));

    /** What one run of {@link #run} saw from outside the planner. */
    record Run(List<Instant> activations, List<Duration> signedPastPeriod, Duration maxReportedOverdue,
               long blockedTicks) {}

    /**
     * Ticks every {@link #CHECK} for {@code periods} periods. Two targets: the service's own endpoint serves
     * the committed set from the next check on; the blob mirror serves it {@code lag} later (random per change,
     * up to {@code maxLag}), except that a NEXT key created at rotation {@code heldRotation} is held back
     * from the blob copy for the allowance plus {@code hold} after its creation.
     */
    static Run run(RotationPolicy policy, long seed, Duration maxLag, int periods, int heldRotation, Duration hold) {
        Random rnd = new Random(seed);
        SecureRandom keyRandom = new SecureRandom();
        KeySource source = spec -> SigningKey.generate(KeySpec.EC_P256, keyRandom);
        List<Map.Entry<Instant, Set<String>>> history = new ArrayList<>(); // when the blob copy shows each set
        Map<String, Instant> confirmedSince = new HashMap<>();
        List<Instant> activations = new ArrayList<>();
        List<Duration> signedPast = new ArrayList<>();
        Duration maxOverdue = Duration.ZERO;
        long blocked = 0;
        int nextCreated = 0;
        Instant heldUntil = Instant.MIN;
        Set<String> served = Set.of();
        KeySet set = KeySet.EMPTY;
        Instant activeSince = null;
        Instant end = START.plus(policy.period().multipliedBy(periods));
        for (Instant now = START; now.isBefore(end); now = now.plus(CHECK)) {
            Set<String> blob = Set.of();
            for (var e : history) {
                if (e.getKey().isAfter(now)) {
                    break;
                }
                blob = e.getValue();
            }
            GateStatus gates = new GateStatus(Map.of("http", served, "blob", blob));
            trackConfirmations(set, gates, now, confirmedSince);
            RotationPlan plan = RotationPlanner.plan(set, policy, gates, now, source);
            KeySet next = plan.next();
            String before = set.active().map(ManagedKey::kid).orElse(null);
            String after = next.active().orElseThrow().kid();
            if (before != null && !before.equals(after)) {
                Instant since = confirmedSince.get(after);
                // The guarantee stays: a key signs only after publish-ahead of continuous confirmation.
                assertThat(since != null && !now.isBefore(since.plus(policy.publishAhead())))
                        .as("%s activated at %s, confirmed since %s", after, now, since).isTrue();
                activations.add(now);
                signedPast.add(Duration.between(activeSince.plus(policy.period()), now));
            }
            if (before == null || !before.equals(after)) {
                activeSince = now;
            }
            if (plan.changed()) {
                Set<String> kids = next.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet());
                boolean createsNext = plan.transitions().stream().anyMatch(t -> t.to() == KeyState.NEXT && t.from() == null);
                if (createsNext && ++nextCreated == heldRotation) {
                    heldUntil = now.plus(policy.confirmationAllowance()).plus(hold);
                }
                Instant shown = now.plusMillis((long) (rnd.nextDouble() * maxLag.toMillis()));
                if (shown.isBefore(heldUntil)) {
                    shown = heldUntil; // the held key, and every later set (they contain it), wait
                }
                if (!history.isEmpty() && shown.isBefore(history.get(history.size() - 1).getKey())) {
                    shown = history.get(history.size() - 1).getKey(); // a copy never goes back to an older set
                }
                history.add(Map.entry(shown, kids));
                set = new KeySet(set.revision() + 1, next.keys());
            }
            served = set.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet());
            if (plan.status().overdueBy().compareTo(maxOverdue) > 0) {
                maxOverdue = plan.status().overdueBy();
            }
            if (plan.status().waitingFor() != null && plan.status().waitingFor().startsWith("max-keys")) {
                blocked++;
            }
        }
        return new Run(activations, signedPast, maxOverdue, blocked);
    }

    @Test
    void aHealthyRotationWithRealisticConfirmationLatencyIsNeverOverdue() {
        // The blob copy shows a change up to 4.5 s after the commit; the check that sees it comes up to 250 ms later.
        for (long seed = 1; seed <= 4; seed++) {
            Run r = run(FAST, seed, Duration.ofMillis(4500), 200, 0, Duration.ZERO);
            assertThat(r.activations()).as("seed %d", seed).hasSizeGreaterThanOrEqualTo(199);
            assertThat(r.maxReportedOverdue()).as("seed %d: reported overdue", seed).isZero();
            assertThat(r.signedPastPeriod()).as("seed %d: time each key signed past its period", seed)
                    .allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ZERO));
        }
    }

    @Test
    void withoutTheAllowanceEveryRotationWasOverdue() {
        // The schedule before the allowance: NEXT published exactly publish-ahead before the period ends.
        Run r = run(FAST.withConfirmationAllowance(Duration.ZERO), 1, Duration.ofMillis(4500), 20, 0, Duration.ZERO);
        assertThat(r.signedPastPeriod()).allSatisfy(d -> assertThat(d).isGreaterThan(Duration.ZERO));
    }

    @Test
    void aGateHeldClosedIsOverdueByExactlyHowLongItWasHeld() {
        Duration hold = Duration.ofSeconds(7);
        // No latency, so every instant falls on the check grid and the hold is measured to the millisecond.
        Run r = run(FAST, 1, Duration.ZERO, 20, 5, hold);
        for (int i = 0; i < r.signedPastPeriod().size(); i++) {
            // Rotation 5 is the NEXT key created 5th: the 5th activation.
            Duration expected = i == 4 ? hold : Duration.ZERO;
            assertThat(r.signedPastPeriod().get(i)).as("activation %d", i + 1).isLessThanOrEqualTo(expected);
            if (i == 4) {
                assertThat(r.signedPastPeriod().get(i)).isEqualTo(hold);
            }
        }
        // The status reports it up to the last check before the switch.
        assertThat(r.maxReportedOverdue()).isEqualTo(hold.minus(CHECK));
    }

    @Test
    void maxKeysThatHoldsWhatThePolicyKeepsNeverBlocks() {
        // retention 1 min / period 20 s: 3 RETIRED + ACTIVE + NEXT. Checked by running it, not by the formula.
        RotationPolicy keeps5 = new RotationPolicy(Duration.ofSeconds(20), Duration.ofSeconds(8), Duration.ofMinutes(1),
                Duration.ofSeconds(10), Duration.ofSeconds(2), KeySpec.EC_P256, 5, FAST.confirmationAllowance());
        assertThat(keeps5.problems()).isEmpty();
        assertThat(run(keeps5, 1, Duration.ofMillis(4500), 30, 0, Duration.ZERO).blockedTicks()).isZero();

        RotationPolicy tooFew = new RotationPolicy(Duration.ofSeconds(20), Duration.ofSeconds(8), Duration.ofMinutes(1),
                Duration.ofSeconds(10), Duration.ofSeconds(2), KeySpec.EC_P256, 4, FAST.confirmationAllowance());
        assertThat(run(tooFew, 1, Duration.ofMillis(4500), 30, 0, Duration.ZERO).blockedTicks()).isPositive();
        assertThat(tooFew.problems()).containsExactly("issuer.rotation.max-keys (4) cannot hold the keys this policy"
                + " publishes at once: 3 RETIRED (retention PT1M / period PT20S, rounded up) + ACTIVE + NEXT = 5; rotation"
                + " would stop at the cap. Set max-keys to at least 5, or shorten retention or lengthen period");
    }

    /** When each key was first seen confirmed by every target, without a break since (a break restarts it). */
    private static void trackConfirmations(KeySet set, GateStatus gates, Instant now,
                                           Map<String, Instant> confirmedSince) {
        for (ManagedKey k : set.keys()) {
            if (gates.confirmed(k.kid())) {
                confirmedSince.putIfAbsent(k.kid(), now);
            } else {
                confirmedSince.remove(k.kid());
            }
        }
    }
}
