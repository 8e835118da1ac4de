package io.kubeoidc.service.signer;

import io.kubeoidc.custody.KeyCustodyException;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.service.config.SignerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.signer.ClaimsPolicy;
import io.kubeoidc.signer.InvalidClaimsException;
import io.kubeoidc.signer.SignedParts;
import io.kubeoidc.signer.TokenSigner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both API versions (v1, v1alpha1) do, on plain types: sign with the ACTIVE key of the served
 * snapshot, list the published keys, report the token lifetime. The ACTIVE key has passed the
 * rotation gates (confirmed and published ahead), and is by construction in the FetchKeys answer.
 * Only kube-apiserver's own claims are signed: this issuer, and a lifetime within the maximum that
 * Metadata advertises (one number, so the check and the advertisement cannot disagree).
 */
public class SignerCore {
    private static final Logger log = LoggerFactory.getLogger(SignerCore.class);

    /** One key in the FetchKeys answer. */
    public record PublishedKey(String kid, byte[] spkiDer, boolean excludeFromDiscovery) {}

    /** The FetchKeys answer, never empty. */
    public record KeyList(List<PublishedKey> keys, Instant dataTimestamp, long refreshHintSeconds) {}

    /** A rejected Sign call: the status to return and the reason to log (never the claims). */
    public static final class SignRejected extends RuntimeException {
        private final boolean callerError;

        SignRejected(String reason, boolean callerError) {
            super(reason, null, false, false);
            this.callerError = callerError;
        }

        public boolean callerError() {
            return callerError;
        }
    }

    private final IssuerKeys keys;
    private final SignerSettings settings;
    private final ClaimsPolicy policy;
    private final MeterRegistry registry;
    private final Map<String, Counter> signsByKid = new ConcurrentHashMap<>();
    private final Map<String, Counter> errorsByReason = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencyByAlg = new ConcurrentHashMap<>();
    private final Map<String, Counter> fetchesByApi = new ConcurrentHashMap<>();
    private volatile TokenSigner signer;
    private volatile String lastRefusal;

    /** @param issuer the iss kube-apiserver sends (its first --service-account-issuer, our issuer.url) */
    public SignerCore(IssuerKeys keys, SignerSettings settings, String issuer, MeterRegistry registry) {
        this.keys = keys;
        this.settings = settings;
        this.policy = ClaimsPolicy.of(issuer, settings.maxTokenExpirationSeconds());
        this.registry = registry;
    }

    public SignedParts sign(String claims) {
        long start = System.nanoTime();
        TokenSigner current = currentSigner();
        SignedParts parts;
        try {
            parts = current.sign(claims);
        } catch (InvalidClaimsException e) {
            error("invalid_claims");
            throw new SignRejected("Sign rejected: " + e.getMessage(), true);
        } catch (RuntimeException e) {
            error("signing_failed");
            throw new SignRejected("Sign failed with kid " + current.kid() + ": " + e.getMessage(), false);
        }
        signsByKid.computeIfAbsent(parts.kid(), kid -> Counter.builder("issuer.signer.sign.requests").tag("kid", kid)
                .description("Tokens signed, by kid").register(registry)).increment();
        latencyByAlg.computeIfAbsent(parts.algorithm(), alg -> Timer.builder("issuer.signer.sign.duration").tag("alg", alg)
                .publishPercentileHistogram().description("Sign latency inside the service").register(registry))
                .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        return parts;
    }

    public KeyList fetchKeys(String api) {
        fetchesByApi.computeIfAbsent(api, a -> Counter.builder("issuer.signer.fetchkeys.requests").tag("api", a)
                .description("FetchKeys calls").register(registry)).increment();
        KeySet set = keys.current().stored().keySet();
        if (set.isEmpty()) {
            // An empty or partial answer would make kube-apiserver drop its key cache; an error keeps it.
            error("no_keys");
            throw new SignRejected("FetchKeys: the key set is not loaded yet", false);
        }
        List<PublishedKey> published = set.keys().stream()
                .map(k -> new PublishedKey(k.kid(), k.key().spkiDer(), false)).toList();
        return new KeyList(published, set.dataTimestamp(), settings.refreshHintSeconds());
    }

    public long maxTokenExpirationSeconds() {
        return policy.maxLifetimeSeconds();
    }

    /** The signer for the ACTIVE key, rebuilt only when the ACTIVE key changes. */
    private TokenSigner currentSigner() {
        var stored = keys.current().stored();
        ManagedKey active = stored.keySet().active().orElse(null);
        if (active == null) {
            error("no_active_key");
            throw new SignRejected("Sign failed: no ACTIVE key in the key set", false);
        }
        String refusal = active.signingRefusal().orElse(null);
        if (refusal != null) {
            // SPIRE's rule: never sign with a key relying parties may not be able to validate.
            error("unconfirmed_active_key");
            if (!refusal.equals(lastRefusal)) {
                log.error("Refusing to sign: {}. Tokens would fail where the JWKS lacks it; the leader must confirm"
                        + " the key (or an operator must rotate) first", refusal);
                lastRefusal = refusal;
            }
            throw new SignRejected("Sign refused: " + refusal, false);
        }
        TokenSigner s = signer;
        if (s == null || !s.kid().equals(active.kid())) {
            KeyHandle key = stored.signingKeys().get(active.kid());
            if (key == null) {
                error("no_private_key");
                throw new SignRejected("Sign failed: the store holds no private key for ACTIVE kid " + active.kid(), false);
            }
            try {
                s = new TokenSigner(key, policy);
            } catch (KeyCustodyException e) {
                error("signing_failed");
                throw new SignRejected("Sign failed with kid " + active.kid() + ": " + e.getMessage(), false);
            }
            signer = s;
            log.info("External signer now signs with kid {} ({})", active.kid(), active.key().algorithm());
        }
        return s;
    }

    private void error(String reason) {
        errorsByReason.computeIfAbsent(reason, r -> Counter.builder("issuer.signer.errors").tag("reason", r)
                .description("Sign and FetchKeys errors, by reason").register(registry)).increment();
    }
}
