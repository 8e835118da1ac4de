package io.kubeoidc.signer;

import java.util.Map;
import java.util.Set;

/**
 * What claims this signer signs: kube-apiserver always sends its own issuer (its first
 * --service-account-issuer) and a lifetime within the max_token_expiration_seconds the signer
 * advertises in Metadata (it caps both TokenRequest and its extended one-year tokens at that value).
 * Anything else came from someone else on the socket, and a token it signed would outlive the keys
 * that verify it (retention is sized from the same maximum). Reasons never quote the claims.
 *
 * @param issuers            the accepted {@code iss} values, verbatim (a trailing slash matters): the issuer, and
 *                           during an issuer URL move the others kube-apiserver may sign with while it is reconfigured
 * @param maxLifetimeSeconds the largest {@code exp - iat}; the value Metadata advertises
 */
public record ClaimsPolicy(Set<String> issuers, long maxLifetimeSeconds) {

    public ClaimsPolicy {
        issuers = Set.copyOf(issuers);
        if (issuers.isEmpty()) {
            throw new IllegalArgumentException("a claims policy needs at least one issuer");
        }
        if (maxLifetimeSeconds <= 0) {
            throw new IllegalArgumentException("the maximum token lifetime must be positive");
        }
    }

    public static ClaimsPolicy of(String issuer, long maxLifetimeSeconds) {
        return new ClaimsPolicy(Set.of(issuer), maxLifetimeSeconds);
    }

    /** Throws {@link InvalidClaimsException} unless iss is accepted and exp - iat is within the maximum. */
    void check(Map<String, Object> claims) {
        Object iss = claims.get("iss");
        if (iss == null) {
            throw new InvalidClaimsException("claims have no iss; kube-apiserver always sends its issuer");
        }
        if (!(iss instanceof String s) || !issuers.contains(s)) {
            throw new InvalidClaimsException("the iss claim is not the issuer this signer serves: " + String.join(" or ",
                    issuers.stream().sorted().toList()) + (issuers.size() == 1 ? " (issuer.url)"
                    : " (issuer.url and issuer.additional-urls)"));
        }
        long iat = numericDate(claims, "iat");
        long exp = numericDate(claims, "exp");
        if (exp <= iat) {
            throw new InvalidClaimsException("the exp claim is not after the iat claim");
        }
        long lifetime;
        try {
            lifetime = Math.subtractExact(exp, iat);
        } catch (ArithmeticException e) {
            lifetime = Long.MAX_VALUE;
        }
        if (lifetime > maxLifetimeSeconds) {
            throw new InvalidClaimsException("the token lifetime (exp - iat) is over the " + maxLifetimeSeconds
                    + " s this signer allows (issuer.tokens.max-lifetime, advertised as max_token_expiration_seconds)");
        }
    }

    /** go-jose writes NumericDate as an integer; a fraction or a string is not kube-apiserver's. */
    private static long numericDate(Map<String, Object> claims, String name) {
        Object v = claims.get(name);
        if (v == null) {
            throw new InvalidClaimsException("claims have no " + name + "; kube-apiserver always sends exp and iat");
        }
        if (!(v instanceof Long || v instanceof Integer)) {
            throw new InvalidClaimsException("the " + name + " claim is not an integer NumericDate");
        }
        return ((Number) v).longValue();
    }
}
