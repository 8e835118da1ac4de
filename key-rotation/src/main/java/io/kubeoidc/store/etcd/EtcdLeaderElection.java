package io.kubeoidc.store.etcd;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Lease-backed leader election: the replica whose transaction creates {@code PREFIX/leader}, attached to
 * its lease, leads until the lease ends (clean shutdown revokes it; a crash lets it expire after the TTL).
 * This is etcd's own election recipe written as one compare-and-create, so the leader key's create
 * revision doubles as a fencing token: the leader's commits carry it as a condition, and a replica that
 * lost the key without noticing cannot write.
 *
 * <p>Each replica also keeps {@code PREFIX/replicas/ID} on its lease with the revision it serves, which is
 * what {@code status} lists. Not thread-safe by design: one scheduler thread calls {@link #step()}.
 */
public final class EtcdLeaderElection implements AutoCloseable {
    static final String LEADER = "leader";
    static final String REPLICAS = "replicas/";

    /** A replica as it announced itself. */
    public record Replica(String id, long revision, boolean leader, boolean degraded, String servingVersion) {}

    private final EtcdConnection etcd;
    private final String id;
    private final Duration ttl;
    private final Clock clock;
    private volatile long lease;
    private volatile io.etcd.jetcd.support.CloseableClient keepAlive;
    private volatile Instant lastRenewed = Instant.EPOCH;
    private volatile long leaderCreateRevision;
    private volatile String leaderSeen;
    private String announced;

    public EtcdLeaderElection(EtcdConnection etcd, String replicaId, Duration ttl, Clock clock) {
        if (replicaId == null || replicaId.isBlank() || replicaId.contains("/")) {
            throw new IllegalArgumentException("replica id '" + replicaId + "' must be non-empty and without '/'");
        }
        if (ttl.toSeconds() < 2) {
            throw new IllegalArgumentException("the leader lease TTL must be at least 2s (got " + ttl + ")");
        }
        this.etcd = etcd;
        this.id = replicaId;
        this.ttl = ttl;
        this.clock = clock;
    }

    public String replicaId() {
        return id;
    }

    /** Checks the lease (jetcd renews it in the background), then claims the leader key or observes who holds it. */
    public void step() {
        if (lease != 0 && !Duration.between(lastRenewed, clock.instant()).minus(ttl).isNegative()) {
            loseLease(); // not renewed for a whole TTL: etcd has expired it (or will before we could use it)
        }
        if (lease == 0) {
            long granted = etcd.call("grant a lease", () -> etcd.client().getLeaseClient().grant(ttl.toSeconds())).getID();
            lastRenewed = clock.instant();
            announced = null;
            lease = granted;
            // A long-lived keep-alive stream that jetcd re-opens on another member when its member dies; a one-shot
            // renewal per step can hang on a connection to a member that just vanished.
            keepAlive = etcd.client().getLeaseClient().keepAlive(granted, new StreamObserver<>() {
                @Override
                public void onNext(LeaseKeepAliveResponse r) {
                    if (r.getTTL() > 0 && lease == granted) {
                        lastRenewed = clock.instant();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    // jetcd retries; a lease that stays unrenewed for a TTL is dropped by step()
                }

                @Override
                public void onCompleted() {
                }
            });
        }
        ByteSequence key = etcd.key(LEADER);
        long myLease = lease;
        TxnResponse r;
        try {
            r = etcd.call("claim the leader key", () -> etcd.client().getKVClient().txn()
                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                    .Then(Op.put(key, EtcdConnection.bytes(id), PutOption.builder().withLeaseId(myLease).build()))
                    .Else(Op.get(key, GetOption.DEFAULT)).commit());
        } catch (EtcdUnavailableException e) {
            if (String.valueOf(e.getMessage()).contains("lease not found")) {
                loseLease(); // etcd expired it while we were stalled: take a new one on the next step
            }
            throw e;
        }
        if (r.isSucceeded()) {
            leaderCreateRevision = r.getHeader().getRevision();
            leaderSeen = id;
            return;
        }
        List<KeyValue> kvs = r.getGetResponses().get(0).getKvs();
        if (kvs.isEmpty()) {
            leaderSeen = null;
            leaderCreateRevision = 0;
            return;
        }
        KeyValue holder = kvs.get(0);
        leaderSeen = holder.getValue().toString(StandardCharsets.UTF_8);
        // Ours only if it hangs on our current lease (a previous process with our id had another lease).
        leaderCreateRevision = holder.getLease() == myLease && id.equals(leaderSeen) ? holder.getCreateRevision() : 0;
    }

    /** Tests: freeze renewal as a stalled process would (a long GC pause), keeping every other belief. */
    void stallRenewalForTest() {
        var k = keepAlive;
        if (k != null) {
            k.close();
        }
    }

    private void loseLease() {
        var k = keepAlive;
        if (k != null) {
            k.close();
            keepAlive = null;
        }
        lease = 0;
        leaderCreateRevision = 0;
        announced = null;
    }

    /**
     * Leads while it holds the key and renewed its lease within two thirds of the TTL: it steps down
     * before etcd could hand the key to another replica.
     */
    public boolean isLeader() {
        return leaderCreateRevision != 0 && Duration.between(lastRenewed, clock.instant()).multipliedBy(3)
                .compareTo(ttl.multipliedBy(2)) < 0;
    }

    public Optional<String> leaderSeen() {
        return Optional.ofNullable(leaderSeen);
    }

    /** The condition on every commit: the leader key still exists with the create revision we won. */
    public List<Cmp> fence() {
        long rev = isLeader() ? leaderCreateRevision : -1;
        return List.of(new Cmp(etcd.key(LEADER), Cmp.Op.EQUAL, CmpTarget.createRevision(rev)));
    }

    /** Publishes this replica's record (on its lease), when it changed. */
    public void announce(long revision, boolean degraded, String servingVersion) {
        long myLease = lease;
        if (myLease == 0) {
            return;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("revision", revision);
        json.put("leader", isLeader());
        json.put("degraded", degraded);
        json.put("version", servingVersion);
        String value = JSONObjectUtils.toJSONString(json);
        if (value.equals(announced)) {
            return;
        }
        etcd.call("announce replica " + id, () -> etcd.client().getKVClient().put(etcd.key(REPLICAS + id),
                EtcdConnection.bytes(value), PutOption.builder().withLeaseId(myLease).build()));
        announced = value;
    }

    /** Every replica whose lease is alive, as it last announced itself. */
    public List<Replica> replicas() {
        return EtcdGroupView.replicas(etcd);
    }

    /** Steps down at once: revoking the lease deletes the leader key, so another replica takes over now. */
    @Override
    public void close() {
        long myLease = lease;
        loseLease();
        if (myLease != 0) {
            try {
                etcd.call("revoke the lease", () -> etcd.client().getLeaseClient().revoke(myLease));
            } catch (EtcdUnavailableException e) {
                // The lease expires by itself after the TTL.
            }
        }
    }
}
