package io.kubeoidc.service.config;

import io.kubeoidc.documents.InvalidIssuerException;
import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.keys.KeySpec;
import java.time.Duration;
import java.util.List;

/**
 * The validated form of {@link IssuerProperties}: built once at start, so a bad value stops the
 * service with one clear message before anything is written.
 *
 * @param developmentIssuer true when issuer.url was unset and the http://localhost default is used
 */
public record IssuerSettings(IssuerConfig issuer, boolean developmentIssuer, KeySpec keySpec, long maxAgeSeconds,
                             String jwksContentType) {

    static final List<String> JWKS_CONTENT_TYPES = List.of("application/jwk-set+json", "application/json");

    public static IssuerSettings from(IssuerProperties p, int serverPort) {
        boolean development = p.url() == null || p.url().isBlank();
        String url = development ? "http://localhost:" + serverPort : p.url().strip();
        IssuerConfig issuer;
        try {
            issuer = IssuerConfig.of(url, p.jwksUri() == null ? null : p.jwksUri().strip(),
                    development || p.allowInsecureHttp());
        } catch (InvalidIssuerException e) {
            throw new InvalidConfigurationException(e.getMessage(), "Set issuer.url (ISSUER_URL) to the https URL"
                    + " that Entra ID will fetch, for example https://oidc.example.com/cluster-a, and leave"
                    + " issuer.jwks-uri empty unless the JWKS lives elsewhere.", e);
        }
        KeySpec spec;
        try {
            spec = KeySpec.parse(p.keys().algorithm());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException("issuer.keys.algorithm: " + e.getMessage(),
                    "Use RSA-2048 unless you know every relying party accepts more (Entra ID accepts only RS256).", e);
        }
        Duration maxAge = p.http().maxAge();
        if (maxAge.isNegative()) {
            throw new InvalidConfigurationException("issuer.http.max-age must not be negative (got " + maxAge + ")",
                    "Use a duration such as 3600s or 1h.", null);
        }
        String ct = p.http().jwksContentType().strip();
        if (!JWKS_CONTENT_TYPES.contains(ct)) {
            throw new InvalidConfigurationException("issuer.http.jwks-content-type must be one of " + JWKS_CONTENT_TYPES
                    + " (got '" + ct + "')", "application/jwk-set+json is what kube-apiserver sends.", null);
        }
        return new IssuerSettings(issuer, development, spec, maxAge.toSeconds(), ct);
    }
}
