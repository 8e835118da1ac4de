package io.kubeoidc.service.ha;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.store.KeySetSource;
import io.kubeoidc.store.KeyStoreException;
import io.kubeoidc.store.RevisionFloor;
import io.kubeoidc.store.RolledBackKeySetException;
import io.kubeoidc.store.SealedKeySetFile;
import io.kubeoidc.store.StoredKeys;
import io.kubeoidc.store.etcd.EtcdKeyStore;
import io.kubeoidc.store.etcd.EtcdUnavailableException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replica serves: the key set in etcd, or, until etcd first answers, the sealed local copy of the
 * last set this replica served. On a full control-plane restart kube-apiserver needs the signer before
 * etcd has a quorum again, so a replica starts from its copy, degraded, and never rotates from it.
 */
final class ReplicaKeySource implements KeySetSource {
    private static final Logger log = LoggerFactory.getLogger(ReplicaKeySource.class);

    private final EtcdKeyStore etcd;
    private final SealedKeySetFile localCopy;
    private final Clock clock;
    private final EtcdOutage outage;
    private final RevisionFloor.InMemory highWaterMark;
    private volatile RolledBackKeySetException refusedAtStart;
    private volatile boolean etcdAnswered;
    private volatile String localCopyNote;
    private volatile String localCopyError;
    private String savedVersion;

    /**
     * @param degradedAfter how long etcd may fail before the replica calls itself degraded: losing etcd's raft
     *                      leader stalls commits for about an election timeout, which is not an outage
     */
    ReplicaKeySource(EtcdKeyStore etcd, SealedKeySetFile localCopy, Clock clock, java.time.Duration degradedAfter,
                     RevisionFloor.InMemory highWaterMark) {
        this.highWaterMark = highWaterMark;
        this.etcd = etcd;
        this.localCopy = localCopy;
        this.clock = clock;
        this.outage = new EtcdOutage("reading the key set", clock, degradedAfter);
    }

    @Override
    public StoredKeys load() {
        if (!etcdAnswered && localCopyNote != null) {
            return fromLocalCopy(null).keys(); // version() just found etcd unreachable: do not wait for it twice
        }
        try {
            return fromEtcdOrLocalCopy(etcd::load, SealedKeySetFile.Copy::keys);
        } catch (RolledBackKeySetException e) {
            if (savedVersion != null || localCopy.read().isEmpty()) {
                throw e; // serving already: the caller keeps what it serves
            }
            // At start: the local copy holds the high-water mark's set, so serve it rather than the rolled-back one.
            refusedAtStart = e;
            log.error("{}; serving the local copy {} instead", e.getMessage(), localCopy.file());
            SealedKeySetFile.Copy copy = fromLocalCopy(null);
            localCopyNote = "serving the local copy of revision " + copy.keys().keySet().revision() + " because etcd"
                    + " holds a rolled-back key set: " + e.getMessage();
            return copy.keys();
        }
    }

    /** The rolled-back set refused when this replica started (it serves its local copy instead), if any. */
    java.util.Optional<RolledBackKeySetException> refusedAtStart() {
        return java.util.Optional.ofNullable(refusedAtStart);
    }

    @Override
    public String version() {
        return fromEtcdOrLocalCopy(etcd::version, SealedKeySetFile.Copy::version);
    }

    /**
     * Reads etcd. Until etcd has answered once, falls back to the local copy; with no copy (this replica's
     * first start) it waits for etcd a while, since there is nothing else to serve.
     */
    private <T> T fromEtcdOrLocalCopy(java.util.function.Supplier<T> read,
                                      java.util.function.Function<SealedKeySetFile.Copy, T> fromCopy) {
        long deadline = System.nanoTime() + FIRST_START_WAIT.toNanos();
        while (true) {
            try {
                T value = read.get();
                answered();
                return value;
            } catch (EtcdUnavailableException e) {
                failed(e);
                if (etcdAnswered) {
                    throw e;
                }
                if (localCopy.read().isPresent() || System.nanoTime() > deadline) {
                    return fromCopy.apply(fromLocalCopy(e));
                }
                log.info("Waiting for etcd (first start of this replica, no local copy yet): {}", e.getMessage());
                sleep();
            }
        }
    }

    /** How long a replica without a local copy waits for etcd at its first start. */
    static final java.time.Duration FIRST_START_WAIT = java.time.Duration.ofSeconds(60);

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new KeyStoreException("interrupted while waiting for etcd", ie);
        }
    }

    @Override
    public String versionOf(KeySet committed) {
        return etcd.versionOf(committed);
    }

    @Override
    public String describe() {
        return etcd.describe();
    }

    /** Keeps the local copy in step with what is served from etcd (never rewrites it from itself). */
    synchronized void served(StoredKeys keys, String version) {
        highWaterMark.raise(keys.keySet().revision());
        if (localCopyNote != null || version.equals(savedVersion) || keys.keySet().isEmpty()) {
            return;
        }
        try {
            localCopy.write(keys, version, clock.instant());
            savedVersion = version;
            if (localCopyError != null) {
                log.info("The local copy {} is written again", localCopy.file());
            }
            localCopyError = null;
        } catch (KeyStoreException e) {
            String error = e.getMessage() + "; a cold start without etcd would have nothing to serve";
            if (!error.equals(localCopyError)) {
                log.warn("{} (issuer.keys.local-copy must be on a writable volume)", error);
            }
            localCopyError = error;
        }
    }

    /** Why the last write of the local copy failed (retried every election step), or null. A health error. */
    String localCopyError() {
        return localCopyError;
    }

    /** Why this replica is degraded, or null: serving the local copy, or etcd failing for longer than the grace. */
    String degradedReason() {
        if (localCopyNote != null) {
            return localCopyNote + (outage.error() == null ? "" : "; " + outage.error());
        }
        return outage.degradedReason();
    }

    /** The last etcd failure, even within the grace (rotation holds meanwhile), or null. */
    String etcdError() {
        return outage.error();
    }

    boolean servingLocalCopy() {
        return localCopyNote != null;
    }

    private void answered() {
        if (localCopyNote != null) {
            log.info("etcd answers; serving and replicating from {} instead of the local copy", etcd.describe());
        }
        etcdAnswered = true;
        localCopyNote = null;
        outage.answered();
    }

    private void failed(EtcdUnavailableException e) {
        outage.failed(e.getMessage());
    }

    private SealedKeySetFile.Copy fromLocalCopy(EtcdUnavailableException cause) {
        SealedKeySetFile.Copy copy = localCopy.read().orElseThrow(() -> new KeyStoreException(outage.error()
                + "; and there is no local copy at " + localCopy.file() + " to start from (a replica's first start"
                + " needs etcd)", cause));
        if (localCopyNote == null) {
            log.warn("Degraded: etcd is unreachable at start; serving and signing from the local copy {} (revision {},"
                    + " saved {})", localCopy.file(), copy.keys().keySet().revision(), copy.savedAt());
        }
        localCopyNote = "serving the local copy of revision " + copy.keys().keySet().revision() + " saved at "
                + copy.savedAt() + " because etcd has not answered since start";
        savedVersion = copy.version();
        return copy;
    }
}
