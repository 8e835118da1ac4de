package io.kubeoidc.store;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.rotation.GateStatus;
import io.kubeoidc.rotation.KeySource;
import io.kubeoidc.rotation.RotationPlan;
import io.kubeoidc.rotation.RotationPlanner;
import io.kubeoidc.rotation.RotationPolicy;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A separate JVM that runs one full rotation (bootstrap, NEXT, confirmation, activation, removal)
 * against a directory store, resuming from whatever the store holds. With a step number it stops
 * dead at that write step and waits to be killed with SIGKILL by {@link CrashSafetyTest}.
 * Output lines: "COMMITTING <set>", "COMMITTED <set>", "STEP n <name>", "CRASH-POINT", "DONE n".
 */
public final class CrashChild {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final RotationPolicy POLICY = RotationPolicy.defaults(Duration.ofHours(1));

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int crashAt = Integer.parseInt(args[1]);
        int[] counter = {0};
        WriteSteps steps = step -> {
            counter[0]++;
            System.out.println("STEP " + counter[0] + " " + step);
            if (counter[0] == crashAt) {
                System.out.println("CRASH-POINT");
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        var store = new DirectoryKeyStore(dir, Duration.ofSeconds(5), steps);
        KeySource source = spec -> SigningKey.generate(spec == KeySpec.RSA_2048 ? KeySpec.RSA_2048 : spec, new SecureRandom());
        // The schedule of one rotation under the default policy; each instant is planned until stable.
        List<Instant> schedule = List.of(T0, T0.plus(POLICY.period()).minus(POLICY.publishAhead()),
                T0.plus(POLICY.period()).minus(POLICY.publishAhead()).plusSeconds(60),
                T0.plus(POLICY.period()).plusSeconds(60),
                T0.plus(POLICY.period()).plusSeconds(60).plus(POLICY.retention()));
        for (Instant now : schedule) {
            while (true) {
                StoredKeys stored = store.load();
                KeySet set = stored.keySet();
                RotationPlan plan = RotationPlanner.plan(set, POLICY, confirmingAll(set), now, source);
                if (!plan.changed()) {
                    break;
                }
                System.out.println("COMMITTING " + describe(new KeySet(set.revision() + 1, plan.next().keys())));
                System.out.flush();
                StoredKeys committed = store.commit(set.revision(), plan.next(), plan.newKeys());
                System.out.println("COMMITTED " + describe(committed.keySet()));
                System.out.flush();
            }
        }
        System.out.println("DONE " + counter[0]);
    }

    /** Both targets serve exactly what is committed (the gates are not what this test is about). */
    static GateStatus confirmingAll(KeySet set) {
        Set<String> kids = set.keys().stream().map(ManagedKey::kid).collect(Collectors.toSet());
        return new GateStatus(Map.of("http", kids));
    }

    static String describe(KeySet set) {
        return "rev=" + set.revision() + " " + set.keys().stream()
                .map(k -> k.kid() + ":" + k.state() + (k.confirmedAt() != null ? "+c" : ""))
                .collect(Collectors.joining(","));
    }
}
