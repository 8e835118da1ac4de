package io.kubeoidc.service.rotation;

import io.kubeoidc.rotation.GateStatus;
import io.kubeoidc.service.custody.CustodyMonitor;
import io.kubeoidc.rotation.RotationPlan;
import io.kubeoidc.rotation.RotationPlanner;
import io.kubeoidc.rotation.RotationStatus;
import io.kubeoidc.rotation.Transition;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.service.publish.PublicationTarget;
import io.kubeoidc.service.ha.Leadership;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.StaleKeySetException;
import io.kubeoidc.store.StoredKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * The adapter around the pure planner: each tick re-reads the store, asks the publication targets
 * what they confirm, plans, commits (conditioned on the revision it read), serves the result, and
 * writes the audit log and kube-apiserver key files.
 */
public class RotationService {
    private static final Logger log = LoggerFactory.getLogger(RotationService.class);

    private final IssuerKeys keys;
    private final KeyStore store;
    private final Leadership leadership;
    private final IssuerSettings settings;
    private final List<PublicationTarget> targets;
    private final Clock clock;
    private final KeyFilesPublisher keyFiles;
    private final MeterRegistry registry;
    private final CustodyMonitor custody;
    private volatile RotationStatus status = new RotationStatus(null, null, null, Duration.ZERO);
    private String lastWarning;

    public RotationService(IssuerKeys keys, KeyStore store, Leadership leadership, IssuerSettings settings,
                           List<PublicationTarget> targets, Clock clock, MeterRegistry registry) {
        this(keys, store, leadership, settings, targets, clock, registry, new CustodyMonitor(store.custody()));
    }

    /** @param custody watches a custody that keeps keys outside the store: no step while it cannot sign */
    public RotationService(IssuerKeys keys, KeyStore store, Leadership leadership, IssuerSettings settings,
                           List<PublicationTarget> targets, Clock clock, MeterRegistry registry, CustodyMonitor custody) {
        this.custody = custody;
        this.keys = keys;
        this.store = store;
        this.leadership = leadership;
        this.settings = settings;
        this.targets = List.copyOf(targets);
        this.clock = clock;
        this.registry = registry;
        this.keyFiles = new KeyFilesPublisher(settings, store.custody(), registry);
        Gauge.builder("issuer.rotation.overdue.seconds", this, s -> s.status.overdueBy().toSeconds())
                .description("How long the ACTIVE key has signed past its period because a gate stayed shut")
                .register(registry);
        for (PublicationTarget t : this.targets) {
            Gauge.builder("issuer.rotation.gate.confirmed", t, this::confirmsNext).tag("target", t.name())
                    .description("1 while this publication target confirms every NEXT key (or there is none): its"
                            + " part of the rotation gate is open").register(registry);
        }
        tick(); // bootstrap before the web server accepts requests
    }

    public RotationStatus status() {
        return status;
    }

    @Scheduled(fixedDelayString = "${issuer.rotation.check-interval:5s}", initialDelayString = "${issuer.rotation.check-interval:5s}")
    public synchronized void tick() {
        keys.reloadIfChanged();
        var hold = leadership.rotationHold();
        if (hold.isPresent()) {
            // A follower (or a degraded replica) serves what the leader commits; it never plans.
            status = new RotationStatus(null, null, hold.get(), Duration.ZERO);
            keyFiles.publish(keys.current().stored());
            return;
        }
        var custodyDown = custody.unavailable();
        if (custodyDown.isPresent()) {
            // A key the token cannot reach must not become ACTIVE, nor a new one be half-created: wait for it.
            status = new RotationStatus(null, null, "key custody " + store.custody().location() + " unavailable: "
                    + custodyDown.get(), Duration.ZERO);
            keyFiles.publish(keys.current().stored());
            return;
        }
        StoredKeys current = keys.current().stored();
        RotationPlan plan = RotationPlanner.plan(current.keySet(), settings.policy(), gates(), clock.instant(),
                store.custody()::create);
        if (plan.changed()) {
            // Audited before the commit (write-ahead), so a crash right after the commit cannot lose the line;
            // a commit that fails says so under the same revision.
            long revision = current.keySet().revision() + 1;
            plan.transitions().forEach(t -> IssuerKeys.AUDIT.info("rotation {} revision={}", t, revision));
            try {
                StoredKeys committed = store.commit(current.keySet().revision(), plan.next(), plan.newKeys());
                plan.transitions().forEach(this::count);
                keys.install(committed);
            } catch (StaleKeySetException e) {
                IssuerKeys.AUDIT.info("rotation revision={} not committed: the store changed underneath", revision);
                log.info("Key store changed underneath (CLI or another writer); re-planning on the next tick");
                return;
            } catch (RuntimeException e) {
                IssuerKeys.AUDIT.info("rotation revision={} not committed: {}", revision, e.getMessage());
                log.error("Rotation step not committed, current keys keep serving: {}", e.getMessage());
                return;
            }
        }
        status = plan.status();
        warnIfHeldBack(plan.status());
        keyFiles.publish(keys.current().stored());
        custody.sweep(keys.current().stored().keySet()); // the leader's step is done: no create of its own in flight
    }

    private GateStatus gates() {
        Map<String, java.util.Set<String>> confirmed = new LinkedHashMap<>();
        java.util.Set<String> unchecked = new java.util.HashSet<>();
        for (PublicationTarget t : targets) {
            if (t.checked()) {
                confirmed.put(t.name(), t.confirmedKids());
            } else {
                unchecked.add(t.name());
            }
        }
        return new GateStatus(confirmed, unchecked);
    }

    /** NaN on a replica that does not rotate (an HA follower): the gate is the leader's, and it checks the targets. */
    private double confirmsNext(PublicationTarget t) {
        if (leadership.rotationHold().isPresent()) {
            return Double.NaN;
        }
        var next = keys.current().stored().keySet().keys().stream()
                .filter(k -> k.state() == io.kubeoidc.keyset.KeyState.NEXT).map(k -> k.kid()).toList();
        return next.isEmpty() || t.checked() && t.confirmedKids().containsAll(next) ? 1 : 0;
    }

    private void count(Transition t) {
        Counter.builder("issuer.rotation.transitions").tag("from", t.fromName()).tag("to", t.toName())
                .description("Key state transitions").register(registry).increment();
    }

    private void warnIfHeldBack(RotationStatus s) {
        String warning = s.overdue() ? "ACTIVE key signs past its period (overdue by " + s.overdueBy() + "): "
                + Objects.requireNonNullElse(s.waitingFor(), "waiting") : null;
        // Log when the reason changes, not on every tick.
        String key = warning == null ? null : s.waitingFor();
        if (!Objects.equals(key, lastWarning)) {
            if (warning != null) {
                log.warn(warning);
            } else if (lastWarning != null) {
                log.info("Rotation back on schedule");
            }
            lastWarning = key;
        }
    }
}
