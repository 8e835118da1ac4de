package io.kubeoidc.documents;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A validated issuer and jwks_uri. The rules are kube-apiserver's (NewOpenIDMetadataProvider):
 * https, no query, no fragment; a path is allowed and a trailing slash is kept verbatim, because
 * Entra ID compares the issuer string exactly. We also require a host, which Go does not check
 * but without which no relying party can fetch anything.
 *
 * @param insecureHttp true only when plain http was explicitly allowed for local development.
 */
public record IssuerConfig(String issuer, String jwksUri, boolean insecureHttp) {

    public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";
    public static final String JWKS_PATH = "/openid/v1/jwks";

    /**
     * @param jwksUri null or blank for the default {issuer without trailing slash}/openid/v1/jwks
     * @param allowInsecureHttp the development flag: accept http:// (Entra and kube-apiserver will not)
     */
    public static IssuerConfig of(String issuer, String jwksUri, boolean allowInsecureHttp) {
        if (issuer == null || issuer.isBlank()) {
            throw new InvalidIssuerException("issuer URL is empty; set issuer.url to an https URL such as "
                    + "https://oidc.example.com/cluster-a");
        }
        boolean issuerHttp = check("issuer URL", issuer, allowInsecureHttp);
        String jwks = jwksUri == null || jwksUri.isBlank() ? withoutTrailingSlash(issuer) + JWKS_PATH : jwksUri;
        boolean jwksHttp = check("jwks_uri", jwks, allowInsecureHttp);
        return new IssuerConfig(issuer, jwks, issuerHttp || jwksHttp);
    }

    /** Returns whether the URL uses plain http (only possible when allowed). */
    private static boolean check(String what, String value, boolean allowHttp) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new InvalidIssuerException(what + " '" + value + "' is not a valid URL: " + e.getReason()
                    + " at index " + e.getIndex());
        }
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new InvalidIssuerException(what + " '" + value + "' has no scheme; it must start with https://");
        }
        boolean http = scheme.toLowerCase(Locale.ROOT).equals("http");
        if (!scheme.equals("https") && !(http && allowHttp)) {
            throw new InvalidIssuerException(what + " '" + value + "' must use the https scheme, not '" + scheme
                    + "'; kube-apiserver and Entra ID reject anything else"
                    + (http ? " (issuer.allow-insecure-http=true permits http for local development only)" : ""));
        }
        if (uri.getRawQuery() != null || value.indexOf('?') >= 0) {
            throw new InvalidIssuerException(what + " '" + value + "' must not contain a query ('?...')");
        }
        if (uri.getRawFragment() != null || value.indexOf('#') >= 0) {
            throw new InvalidIssuerException(what + " '" + value + "' must not contain a fragment ('#...')");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            String authority = uri.getRawAuthority();
            throw new InvalidIssuerException(what + " '" + value + "' " + (authority == null || authority.isEmpty()
                    ? "has no host" : "has an invalid host '" + authority + "' (a comma here often means the"
                    + " property was given twice and merged)"));
        }
        if (uri.getRawUserInfo() != null) {
            throw new InvalidIssuerException(what + " '" + value + "' must not contain user info ('user@')");
        }
        return http;
    }

    /** The issuer's path without a trailing slash ("" for none): documents are also served under it. */
    public String issuerPathPrefix() {
        String path = URI.create(issuer).getRawPath();
        return path == null ? "" : withoutTrailingSlash(path);
    }

    /** Where a relying party fetches the discovery document: two issuers at one location cannot both be served. */
    public Issuers.Location location() {
        return Issuers.Location.of(issuer);
    }

    /** Where OIDC discovery looks: issuer (trailing slash removed) + /.well-known/openid-configuration. */
    public String discoveryUrl() {
        return discoveryUrlOf(issuer);
    }

    /** The same rule for any issuer string, validated or not (doctor checks issuers it does not own). */
    public static String discoveryUrlOf(String issuer) {
        return withoutTrailingSlash(issuer) + DISCOVERY_PATH;
    }

    public static String withoutTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
