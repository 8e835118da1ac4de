package io.kubeoidc.rotation;

import io.kubeoidc.keys.KeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * When keys move. A key signs for {@code period}; its successor is published {@code publishAhead}
 * before it may sign (counted from the moment every publication target confirmed it); a retired key
 * stays published for {@code retention}, long enough for every token it signed to expire.
 *
 * @param maxTokenLifetime      the longest token any key signs (kube-apiserver's
 *                              --service-account-max-token-expiration must not exceed it)
 * @param jwksMaxAge            how long relying parties may cache the JWKS (issuer.http.max-age)
 * @param confirmationAllowance how long the targets normally take to confirm a new key (the service's check
 *                              latency); the successor is published that much earlier, so a healthy rotation
 *                              activates by the end of the period and only a held gate makes it overdue
 */
public record RotationPolicy(Duration period, Duration publishAhead, Duration retention, Duration maxTokenLifetime,
                             Duration jwksMaxAge, KeySpec keySpec, int maxKeys, Duration confirmationAllowance) {

    public RotationPolicy {
        confirmationAllowance = confirmationAllowance == null ? Duration.ZERO : confirmationAllowance;
    }

    /** Without a confirmation allowance: targets that confirm the instant a key is published. */
    public RotationPolicy(Duration period, Duration publishAhead, Duration retention, Duration maxTokenLifetime,
                          Duration jwksMaxAge, KeySpec keySpec, int maxKeys) {
        this(period, publishAhead, retention, maxTokenLifetime, jwksMaxAge, keySpec, maxKeys, Duration.ZERO);
    }

    /** The same policy with the given confirmation allowance. */
    public RotationPolicy withConfirmationAllowance(Duration allowance) {
        return new RotationPolicy(period, publishAhead, retention, maxTokenLifetime, jwksMaxAge, keySpec, maxKeys,
                allowance);
    }

    /**
     * How many keys the policy publishes at once in steady state: a key retires every period and stays for
     * retention, so up to ceil(retention / period) RETIRED keys, plus the ACTIVE and the NEXT key.
     */
    public int keysHeldAtOnce() {
        long retired = (retention.toMillis() + period.toMillis() - 1) / period.toMillis();
        return (int) Math.min(Integer.MAX_VALUE, retired + 2);
    }

    /** Entra ID and AWS read only the first 100 keys of a JWKS. */
    public static final int MAX_KEYS_LIMIT = 100;
    /** ACTIVE, NEXT and one RETIRED key coexist around every rotation. */
    public static final int MIN_KEYS = 3;

    public static final Duration DEFAULT_PERIOD = Duration.ofDays(30);
    public static final Duration DEFAULT_PUBLISH_AHEAD = Duration.ofHours(24);
    public static final Duration DEFAULT_MAX_TOKEN_LIFETIME = Duration.ofHours(24);
    public static final Duration RETENTION_SLACK = Duration.ofHours(24);
    public static final int DEFAULT_MAX_KEYS = 10;

    public static RotationPolicy defaults(Duration jwksMaxAge) {
        return new RotationPolicy(DEFAULT_PERIOD, DEFAULT_PUBLISH_AHEAD,
                DEFAULT_MAX_TOKEN_LIFETIME.plus(RETENTION_SLACK), DEFAULT_MAX_TOKEN_LIFETIME, jwksMaxAge,
                KeySpec.DEFAULT, DEFAULT_MAX_KEYS).validated();
    }

    /** Null retention means the default, max token lifetime + 24 h. */
    public static RotationPolicy of(Duration period, Duration publishAhead, Duration retention, Duration maxTokenLifetime,
                                    Duration jwksMaxAge, KeySpec keySpec, int maxKeys) {
        Duration r = retention != null ? retention : maxTokenLifetime.plus(RETENTION_SLACK);
        return new RotationPolicy(period, publishAhead, r, maxTokenLifetime, jwksMaxAge, keySpec, maxKeys).validated();
    }

    /** Every broken rule, each saying which property and why; empty when the policy is sound. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (!positive(period)) {
            p.add("issuer.rotation.period must be positive (got " + period + ")");
        }
        if (!positive(maxTokenLifetime)) {
            p.add("issuer.tokens.max-lifetime must be positive (got " + maxTokenLifetime + ")");
        }
        if (publishAhead == null || publishAhead.compareTo(jwksMaxAge) < 0) {
            p.add("issuer.rotation.publish-ahead (" + publishAhead + ") must be at least issuer.http.max-age ("
                    + jwksMaxAge + "): relying parties may serve a cached JWKS that long, so a key published"
                    + " for less would be unknown to them when it starts signing");
        } else if (positive(period) && publishAhead.compareTo(period) >= 0) {
            p.add("issuer.rotation.publish-ahead (" + publishAhead + ") must be shorter than issuer.rotation.period ("
                    + period + ")");
        }
        if (retention == null || (positive(maxTokenLifetime) && retention.compareTo(maxTokenLifetime) < 0)) {
            p.add("issuer.rotation.retention (" + retention + ") must be at least issuer.tokens.max-lifetime ("
                    + maxTokenLifetime + "): a retired key must stay published until every token it signed has expired");
        }
        if (maxKeys < MIN_KEYS || maxKeys > MAX_KEYS_LIMIT) {
            p.add("issuer.rotation.max-keys must be between " + MIN_KEYS + " and " + MAX_KEYS_LIMIT + " (got " + maxKeys
                    + "); Entra ID and AWS read only the first 100 keys of a JWKS");
        } else if (positive(period) && retention != null && keysHeldAtOnce() > maxKeys) {
            p.add(maxKeysTooLow(0));
        }
        if (confirmationAllowance.isNegative()) {
            p.add("the confirmation allowance must not be negative (got " + confirmationAllowance + ")");
        }
        return p;
    }

    /**
     * Why max-keys cannot hold what this policy keeps at once with {@code imported} verify-only keys besides,
     * or null when it can: rotation would otherwise stall on the cap after retention / period rotations.
     */
    public String maxKeysTooLow(int imported) {
        int needed = keysHeldAtOnce() + imported;
        if (needed <= maxKeys) {
            return null;
        }
        long retired = needed - 2 - imported;
        return "issuer.rotation.max-keys (" + maxKeys + ") cannot hold the keys this policy publishes at once: "
                + retired + " RETIRED (retention " + retention + " / period " + period + ", rounded up) + ACTIVE + NEXT"
                + (imported > 0 ? " + " + imported + " imported VERIFY_ONLY" : "") + " = " + needed
                + "; rotation would stop at the cap. Set max-keys to at least " + needed
                + ", or shorten retention or lengthen period";
    }

    public RotationPolicy validated() {
        List<String> p = problems();
        if (!p.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", p));
        }
        return this;
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }
}
