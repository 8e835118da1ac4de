package io.kubeoidc.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** kube-apiserver's NewOpenIDMetadataProvider rules, and the rejected cases of TestNewOpenIDMetadata. */
class IssuerConfigTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "http://issuer.example.com          | must use the https scheme, not 'http'",
            "issuer.example.com                 | has no scheme",
            "https://issuer.example.com?foo=bar | must not contain a query",
            "https://issuer.example.com#foo     | must not contain a fragment",
            "https://issuer.example.com/a?      | must not contain a query",
            "ftp://issuer.example.com           | must use the https scheme, not 'ftp'",
            "https://iss uer.example.com        | is not a valid URL",
            "https:///no-host                   | has no host",
            "https://user@issuer.example.com    | must not contain user info",
            "https://a.example,https://b.example | has an invalid host 'a.example,https:'",
    })
    void rejectsIssuer(String issuer, String message) {
        assertThatThrownBy(() -> IssuerConfig.of(issuer, null, false))
                .isInstanceOf(InvalidIssuerException.class)
                .hasMessageContaining("issuer URL '" + issuer + "'")
                .hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "http://issuer.example.com/openid/v1/jwks | must use the https scheme",
            "issuer.example.com/openid/v1/jwks        | has no scheme",
            "https://issuer.example.com/jwks?x=1      | must not contain a query",
    })
    void rejectsJwksUri(String jwksUri, String message) {
        assertThatThrownBy(() -> IssuerConfig.of("https://issuer.example.com", jwksUri, false))
                .isInstanceOf(InvalidIssuerException.class)
                .hasMessageContaining("jwks_uri '" + jwksUri + "'")
                .hasMessageContaining(message);
    }

    @Test
    void emptyIssuerIsExplained() {
        assertThatThrownBy(() -> IssuerConfig.of(" ", null, false)).hasMessageContaining("set issuer.url");
    }

    @Test
    void httpNeedsTheDevelopmentFlagAndSaysSo() {
        assertThatThrownBy(() -> IssuerConfig.of("http://localhost:8080", null, false))
                .hasMessageContaining("issuer.allow-insecure-http=true");
        IssuerConfig dev = IssuerConfig.of("http://localhost:8080", null, true);
        assertThat(dev.insecureHttp()).isTrue();
        assertThat(dev.jwksUri()).isEqualTo("http://localhost:8080/openid/v1/jwks");
        assertThat(IssuerConfig.of("https://x.example", null, true).insecureHttp()).isFalse();
    }

    @Test
    void pathAndTrailingSlashAreKeptVerbatim() {
        IssuerConfig c = IssuerConfig.of("https://oidc.example.com/cluster-a/", null, false);
        assertThat(c.issuer()).isEqualTo("https://oidc.example.com/cluster-a/");
        assertThat(c.jwksUri()).isEqualTo("https://oidc.example.com/cluster-a/openid/v1/jwks");
        assertThat(c.issuerPathPrefix()).isEqualTo("/cluster-a");
        assertThat(c.discoveryUrl()).isEqualTo("https://oidc.example.com/cluster-a/.well-known/openid-configuration");
        assertThat(IssuerConfig.of("https://oidc.example.com/", null, false).issuerPathPrefix()).isEmpty();
        assertThat(IssuerConfig.of("https://oidc.example.com", null, false).issuerPathPrefix()).isEmpty();
    }

    @Test
    void caseIsKeptVerbatim() {
        assertThat(IssuerConfig.of("https://OIDC.Example.com/Cluster", null, false).issuer())
                .isEqualTo("https://OIDC.Example.com/Cluster");
    }
}
