package io.kubeoidc.service.publish;

import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.springframework.scheduling.annotation.Scheduled;

/** Publishes at once when the key set changes, and reads back / repairs every interval. */
public class MirrorService {
    private final IssuerKeys keys;
    private final AzureBlobMirror mirror;
    private final Duration interval;
    private final Clock clock;
    private final Counter repaired;
    private long publishedRevision = -1;
    private Instant next = Instant.MIN;
    private volatile Instant lastVerified;

    public MirrorService(IssuerKeys keys, AzureBlobMirror mirror, Duration interval, Clock clock, MeterRegistry registry) {
        this.keys = keys;
        this.mirror = mirror;
        this.interval = interval;
        this.clock = clock;
        this.repaired = Counter.builder("issuer.mirror.blobs.written")
                .description("Blobs written: new key sets and repaired drift").register(registry);
        Gauge.builder("issuer.mirror.verified", this, m -> m.mirror.lastError() == null && m.lastVerified != null ? 1 : 0)
                .description("1 while the public copy matches what the service serves").register(registry);
        Gauge.builder("issuer.mirror.last.verified.timestamp", this,
                m -> m.lastVerified == null ? 0 : m.lastVerified.getEpochSecond())
                .description("When the public copy last verified (epoch seconds)").register(registry);
    }

    @Scheduled(fixedDelay = 500)
    public synchronized void tick() {
        var snapshot = keys.current();
        Instant now = clock.instant();
        if (snapshot.revision() == publishedRevision && now.isBefore(next)) {
            return;
        }
        repaired.increment(mirror.reconcile(snapshot.documents()));
        if (mirror.lastError() == null) {
            lastVerified = now;
        }
        publishedRevision = snapshot.revision();
        next = now.plus(interval);
    }
}
