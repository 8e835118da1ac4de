package io.kubeoidc.service.ha;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long one use of etcd (reading the key set, the election) has been failing, and whether that is long
 * enough to call the replica degraded. The grace rides out etcd electing a new raft leader after losing a
 * member (about a second), which is not an outage.
 */
final class EtcdOutage {
    private static final Logger log = LoggerFactory.getLogger(EtcdOutage.class);

    private final String what;
    private final Clock clock;
    private final Duration grace;
    private volatile Instant since;
    private volatile String error;
    private volatile boolean reported;

    EtcdOutage(String what, Clock clock, Duration grace) {
        this.what = what;
        this.clock = clock;
        this.grace = grace;
    }

    void failed(String message) {
        if (since == null) {
            since = clock.instant();
        }
        error = message;
        if (!reported && degraded()) {
            reported = true;
            log.warn("Degraded: {} has failed since {}: {}. Serving and signing with the keys already loaded; no"
                    + " rotation until etcd answers", what, since, message);
        }
    }

    void answered() {
        if (reported) {
            log.info("{} reaches etcd again", what);
        }
        since = null;
        error = null;
        reported = false;
    }

    /** The last failure, even within the grace (rotation holds meanwhile), or null. */
    String error() {
        return error;
    }

    boolean degraded() {
        Instant s = since;
        return s != null && !Duration.between(s, clock.instant()).minus(grace).isNegative();
    }

    /** Why this makes the replica degraded, or null. */
    String degradedReason() {
        return degraded() ? what + " has failed since " + since + ": " + error : null;
    }
}
