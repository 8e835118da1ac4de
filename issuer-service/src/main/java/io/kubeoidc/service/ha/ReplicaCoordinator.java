package io.kubeoidc.service.ha;

import io.etcd.jetcd.Watch;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.store.etcd.EtcdConnection;
import io.kubeoidc.store.etcd.EtcdLeaderElection;
import io.kubeoidc.store.etcd.EtcdUnavailableException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * One replica's part in the group: runs the election every second, announces what it serves, watches
 * the key set so a change committed by the leader is served here within a second, and answers whether
 * this replica may rotate (leader, and not degraded).
 */
public class ReplicaCoordinator implements Leadership, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaCoordinator.class);

    private final EtcdConnection etcd;
    private final EtcdLeaderElection election;
    private final io.kubeoidc.store.etcd.EtcdKeyStore store;
    private final ReplicaKeySource source;
    private final IssuerKeys keys;
    private final ExecutorService reloader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "issuer-etcd-watch");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean reloadQueued = new AtomicBoolean();
    private final java.time.Duration degradedAfter;
    private final EtcdOutage electionOutage;
    private volatile boolean wasLeader;
    private volatile List<EtcdLeaderElection.Replica> replicasSeen = List.of();
    private volatile Watch.Watcher watcher;
    private volatile boolean watchBroken = true;

    ReplicaCoordinator(EtcdConnection etcd, io.kubeoidc.store.etcd.EtcdKeyStore store, EtcdLeaderElection election,
                       ReplicaKeySource source, IssuerKeys keys,
                       java.time.Clock clock, java.time.Duration degradedAfter, MeterRegistry registry) {
        this.degradedAfter = degradedAfter;
        this.electionOutage = new EtcdOutage("the election", clock, degradedAfter);
        this.etcd = etcd;
        this.store = store;
        this.election = election;
        this.source = source;
        this.keys = keys;
        Gauge.builder("issuer.ha.leader", election, e -> e.isLeader() ? 1 : 0)
                .description("1 while this replica is the rotation leader").register(registry);
        Gauge.builder("issuer.ha.degraded", this, c -> c.degraded() ? 1 : 0)
                .description("1 while this replica cannot reach etcd (serving its last set; not rotating)").register(registry);
        Gauge.builder("issuer.ha.replicas", this, c -> c.replicasSeen.size())
                .description("Live replicas in the group, as this replica last saw them").register(registry);
        if (!source.servingLocalCopy()) {
            step(); // before the rotation service's first tick, so the first replica of a new group can bootstrap
        }
    }

    @Scheduled(fixedDelay = 1000, initialDelay = 1000)
    public synchronized void step() {
        try {
            election.step();
            electionOutage.answered();
        } catch (EtcdUnavailableException e) {
            electionOutage.failed(e.getMessage());
        }
        boolean leader = election.isLeader();
        if (leader != wasLeader) {
            IssuerKeys.AUDIT.info("replica {} {} the rotation leader", election.replicaId(), leader ? "became" : "is no longer");
            wasLeader = leader;
        }
        if (electionOutage.error() != null) {
            return;
        }
        if (watchBroken) {
            watch();
        }
        var snapshot = keys.current();
        if (source.localCopyError() != null) {
            source.served(snapshot.stored(), snapshot.version()); // until it is written: the operator may have fixed it
        }
        try {
            election.announce(snapshot.revision(), degraded(), snapshot.version());
            replicasSeen = election.replicas();
        } catch (EtcdUnavailableException e) {
            log.debug("announce failed: {}", e.getMessage());
        }
    }

    private void watch() {
        Watch.Watcher old = watcher;
        if (old != null) {
            old.close();
        }
        watcher = store.watch(this::queueReload, error -> {
            log.debug("key-set watch ended: {}", error.getMessage());
            watchBroken = true;
        });
        watchBroken = false;
        queueReload(); // anything committed before the watch started
    }

    /** Coalesces bursts of events into one reload on the watch thread. */
    private void queueReload() {
        if (reloadQueued.compareAndSet(false, true)) {
            reloader.execute(() -> {
                reloadQueued.set(false);
                keys.reloadIfChanged();
            });
        }
    }

    @Override
    public Optional<String> rotationHold() {
        String degraded = degradedReason();
        if (degraded != null) {
            return Optional.of("degraded: " + degraded);
        }
        String failing = source.etcdError() != null ? source.etcdError() : electionOutage.error();
        if (failing != null) {
            return Optional.of("etcd is not answering (degraded after " + degradedAfter + "): " + failing);
        }
        if (keys.lastReloadError() != null) {
            return Optional.of("the key set in etcd cannot be read: " + keys.lastReloadError());
        }
        if (!election.isLeader()) {
            return Optional.of("replica " + election.replicaId() + " is not the rotation leader (leader: "
                    + election.leaderSeen().orElse("none yet") + ")");
        }
        return Optional.empty();
    }

    /** The local copy cannot be written: this replica serves now, but could not cold-start without etcd. */
    public boolean localCopyFailing() {
        return source.localCopyError() != null;
    }

    public boolean degraded() {
        return degradedReason() != null;
    }

    private String degradedReason() {
        String s = source.degradedReason();
        if (s == null) {
            s = keys.rollbacks().refusing();
        }
        return s != null ? s : electionOutage.degradedReason();
    }

    /** For health/issuer: who leads, what every replica serves, and whether this one is degraded. */
    public Map<String, Object> details() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("store", etcd.describe());
        d.put("replicaId", election.replicaId());
        d.put("leader", election.isLeader());
        d.put("leaderSeen", election.leaderSeen().orElse("none"));
        d.put("degraded", degraded());
        if (degraded()) {
            d.put("degradedReason", degradedReason());
        }
        d.put("servingLocalCopy", source.servingLocalCopy());
        if (source.localCopyError() != null) {
            d.put("localCopyError", source.localCopyError());
        }
        d.put("appliedRevision", keys.current().revision());
        Map<String, Object> replicas = new LinkedHashMap<>();
        for (var r : replicasSeen) {
            replicas.put(r.id(), Map.of("revision", r.revision(), "leader", r.leader(), "degraded", r.degraded()));
        }
        d.put("replicas", replicas);
        return d;
    }

    @Override
    public void close() {
        Watch.Watcher w = watcher;
        if (w != null) {
            w.close();
        }
        reloader.shutdownNow();
        election.close(); // revokes the lease: another replica leads at once
        etcd.close();
    }
}
