package io.kubeoidc.documents;

import io.kubeoidc.keys.VerificationKey;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The issuers this service publishes for, as kube-apiserver's repeated --service-account-issuer: the first is
 * the one kube-apiserver signs with (issuer.url), the others are accepted too, for the length of an issuer URL
 * move. Every issuer publishes the same keys; each has its own discovery document (its own {@code issuer} and
 * {@code jwks_uri}), because relying parties (Entra ID, AWS IAM) require the document's issuer to equal the
 * token's iss exactly, and fetch it from that issuer's own location.
 *
 * @param all the signing issuer first, then the additional ones in configuration order
 */
public record Issuers(List<IssuerConfig> all) {

    public Issuers {
        all = List.copyOf(all);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("at least the signing issuer is needed");
        }
    }

    /**
     * @param additional the other accepted issuer URLs, each published with the default jwks_uri
     * @throws InvalidIssuerException for a duplicate, the signing issuer listed again, or two issuers a relying
     *                                party would fetch from the same place
     */
    public static Issuers of(IssuerConfig signing, List<String> additional, boolean allowInsecureHttp) {
        List<IssuerConfig> all = new ArrayList<>(List.of(signing));
        for (String url : additional) {
            if (url == null || url.isBlank()) {
                throw new InvalidIssuerException("an additional issuer is empty");
            }
            if (url.equals(signing.issuer())) {
                throw new InvalidIssuerException("additional issuer '" + url + "' is the signing issuer itself; list"
                        + " only the other issuers kube-apiserver accepts (its further --service-account-issuer flags)");
            }
            if (all.stream().anyMatch(i -> i.issuer().equals(url))) {
                throw new InvalidIssuerException("additional issuer '" + url + "' is listed twice");
            }
            IssuerConfig next = IssuerConfig.of(url, null, allowInsecureHttp);
            for (IssuerConfig earlier : all) {
                if (earlier.location().equals(next.location())) {
                    throw new InvalidIssuerException("issuers '" + earlier.issuer() + "' and '" + url + "' cannot be"
                            + " told apart: a relying party fetches both discovery documents from host "
                            + next.location().host() + " at " + next.location().discoveryPath() + " (they differ only in"
                            + " scheme, port, the case of the host or a trailing slash), and one location can serve"
                            + " only one issuer; publish the new issuer under another host or path");
                }
            }
            all.add(next);
        }
        return new Issuers(all);
    }

    /** The issuer kube-apiserver signs with: its first --service-account-issuer. */
    public IssuerConfig signing() {
        return all.get(0);
    }

    /** The issuers besides the signing one. */
    public List<IssuerConfig> additional() {
        return all.subList(1, all.size());
    }

    public List<String> urls() {
        return all.stream().map(IssuerConfig::issuer).toList();
    }

    public Optional<IssuerConfig> find(String issuer) {
        return all.stream().filter(i -> i.issuer().equals(issuer)).findFirst();
    }

    /** The issuer whose discovery document a relying party fetches from this URL, if any. */
    public Optional<IssuerConfig> servedAt(String discoveryUrl) {
        return all.stream().filter(i -> i.discoveryUrl().equals(discoveryUrl)).findFirst();
    }

    /** Each issuer's documents over the same keys, in {@link #all()} order; the JWKS bytes are identical. */
    public Map<String, PublishedDocuments> render(List<VerificationKey> published) {
        Map<String, PublishedDocuments> byIssuer = new LinkedHashMap<>();
        for (IssuerConfig issuer : all) {
            byIssuer.put(issuer.issuer(), PublishedDocuments.render(issuer, published));
        }
        return byIssuer;
    }

    /**
     * Where a relying party fetches an issuer's discovery document, as a server sees the request: the host (case
     * does not matter, and the port is lost behind proxies) and the path.
     */
    public record Location(String host, String discoveryPath) {
        static Location of(String issuer) {
            URI uri = URI.create(issuer);
            return new Location(uri.getHost().toLowerCase(Locale.ROOT),
                    URI.create(IssuerConfig.discoveryUrlOf(issuer)).getRawPath());
        }
    }
}
