package io.kubeoidc.service.publish;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.documents.Issuers;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.ha.Leadership;
import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Publishes to every mirror at once when the key set changes, and every interval reads the copies
 * back and repairs drift (a deleted blob, a hand edit, wrong headers). Each mirror publishes one issuer's
 * documents (during an issuer URL move there are several issuers, each at its own location); every mirror
 * of every issuer is a rotation gate.
 */
public class MirrorService {
    private final IssuerKeys keys;
    private final List<DocumentMirror> mirrors;
    private final Map<DocumentMirror, String> issuerOf = new IdentityHashMap<>();
    private final Duration interval;
    private final Clock clock;
    private final Leadership leadership;
    private final Counter published;
    private final Counter driftRepaired;
    private String publishedVersion;
    private Instant next = Instant.MIN;
    private volatile Instant writingSince;

    public MirrorService(IssuerKeys keys, List<DocumentMirror> mirrors, Duration interval, Clock clock,
                         Leadership leadership, MeterRegistry registry) {
        this.keys = keys;
        this.leadership = leadership;
        this.mirrors = List.copyOf(mirrors);
        for (DocumentMirror m : mirrors) {
            issuerOf.put(m, issuerFor(keys.settings().issuers(), m.configuredIssuer(),
                    m.publicUrl(IssuerConfig.DISCOVERY_PATH), m.name()).issuer());
        }
        this.interval = interval;
        this.clock = clock;
        this.published = Counter.builder("issuer.mirror.published")
                .description("Objects written because the key set changed").register(registry);
        this.driftRepaired = Counter.builder("issuer.mirror.drift.repaired")
                .description("Objects rewritten because the public copy drifted").register(registry);
        for (DocumentMirror m : mirrors) {
            Gauge.builder("issuer.mirror.verified", m, x -> state(x).verified() ? 1 : 0).tag("mirror", m.name())
                    .description("1 while the public copy matches what the service serves").register(registry);
            Gauge.builder("issuer.mirror.last.verified.timestamp", m,
                            x -> x.state().lastVerified() == null ? 0 : x.state().lastVerified().getEpochSecond())
                    .tag("mirror", m.name()).register(registry);
            Gauge.builder("issuer.mirror.last.published.timestamp", m,
                            x -> x.state().lastPublished() == null ? 0 : x.state().lastPublished().getEpochSecond())
                    .tag("mirror", m.name()).register(registry);
            Gauge.builder("issuer.mirror.unverified.seconds", m, this::unverifiedSeconds).tag("mirror", m.name())
                    .description("How long this replica has written the mirror without a verified public copy; 0 while"
                            + " verified or while another replica writes it").register(registry);
        }
    }

    /** Counted from the last verification, or from when this replica started writing (a new leader, a start). */
    private double unverifiedSeconds(DocumentMirror m) {
        Instant since = writingSince;
        if (since == null || state(m).verified()) {
            return 0;
        }
        Instant verified = m.state().lastVerified();
        Instant from = verified != null && verified.isAfter(since) ? verified : since;
        return Math.max(0, Duration.between(from, clock.instant()).toSeconds());
    }

    public List<DocumentMirror> mirrors() {
        return mirrors;
    }

    /** The issuer whose documents a mirror publishes. */
    public String issuer(DocumentMirror m) {
        return issuerOf.get(m);
    }

    /**
     * Which issuer a publication target publishes for: the configured one, else the one whose discovery URL is
     * where the target publishes it (the target hosts that issuer's location), else the signing issuer.
     *
     * @param publicDiscoveryUrl where anonymous readers fetch the target's discovery document, or null
     */
    public static IssuerConfig issuerFor(Issuers issuers, String configured, String publicDiscoveryUrl, String target) {
        if (configured != null && !configured.isBlank()) {
            return issuers.find(configured.strip()).orElseThrow(() -> new InvalidConfigurationException("the " + target
                    + " mirror is set to publish for issuer '" + configured.strip() + "', which is neither issuer.url nor"
                    + " one of issuer.additional-urls " + issuers.urls(), "Set its issuer to one of " + issuers.urls()
                    + " exactly (a trailing slash matters), or leave it empty to match its public URL.", null));
        }
        return publicDiscoveryUrl == null ? issuers.signing()
                : issuers.servedAt(publicDiscoveryUrl).orElse(issuers.signing());
    }

    /** A mirror's health now: unverified also when its checks are overdue (a hung endpoint). */
    public DocumentMirror.State state(DocumentMirror m) {
        // A replica that does not write the mirrors (an HA follower) does not check them either.
        return leadership.writesMirrors() ? m.state(clock.instant(), interval) : m.state();
    }

    @Scheduled(fixedDelay = 500)
    public synchronized void tick() {
        if (!leadership.writesMirrors()) {
            publishedVersion = null; // on taking over, publish and verify at once
            writingSince = null;
            return;
        }
        if (writingSince == null) {
            writingSince = clock.instant();
        }
        var snapshot = keys.current();
        Instant now = clock.instant();
        boolean changed = !snapshot.version().equals(publishedVersion);
        if (!changed && now.isBefore(next)) {
            return;
        }
        for (DocumentMirror m : mirrors) {
            int written = m.reconcile(snapshot.documents(issuerOf.get(m)), !changed);
            (changed ? published : driftRepaired).increment(written);
        }
        publishedVersion = snapshot.version();
        next = now.plus(interval);
    }
}
