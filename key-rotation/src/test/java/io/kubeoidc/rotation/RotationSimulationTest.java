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
            for (ManagedKey k : set.keys()) {
                if (gates.confirmed(k.kid())) {
                    confirmedSince.putIfAbsent(k.kid(), now);
                } else {
                    confirmedSince.remove(k.kid());
                }
            }

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
}
