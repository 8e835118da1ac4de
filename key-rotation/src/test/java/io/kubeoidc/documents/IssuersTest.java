package io.kubeoidc.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeoidc.keys.SigningKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The issuers of an issuer URL move: which lists are refused, and what each issuer publishes. */
class IssuersTest {
    static final IssuerConfig OLD = IssuerConfig.of("https://oidc.example.com/cluster-a", null, false);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "https://oidc.example.com/cluster-a                        | is the signing issuer itself",
            "https://new.example.com,https://new.example.com           | is listed twice",
            "https://oidc.example.com/cluster-a/                       | cannot be told apart: a relying party fetches both"
                    + " discovery documents from host oidc.example.com at /cluster-a/.well-known/openid-configuration",
            "https://OIDC.example.com/cluster-a                        | cannot be told apart",
            "https://oidc.example.com:8443/cluster-a                   | cannot be told apart",
            "https://n.example/x,https://N.example/x/                  | issuers 'https://n.example/x' and 'https://N.example/x/' cannot be told apart",
            "' '                                                       | an additional issuer is empty",
            "http://new.example.com                                    | must use the https scheme",
    })
    void refusesLists(String additional, String message) {
        assertThatThrownBy(() -> Issuers.of(OLD, List.of(additional.split(",")), false))
                .isInstanceOf(InvalidIssuerException.class).hasMessageContaining(message);
    }

    @Test
    void issuersOnOtherHostsOrPathsAreAccepted() {
        var issuers = Issuers.of(OLD, List.of("https://oidc.example.com/cluster-b", "https://acct.z6.web.core.windows.net/",
                "https://kubernetes.default.svc.cluster.local"), false);
        assertThat(issuers.urls()).containsExactly("https://oidc.example.com/cluster-a", "https://oidc.example.com/cluster-b",
                "https://acct.z6.web.core.windows.net/", "https://kubernetes.default.svc.cluster.local");
        assertThat(issuers.signing()).isEqualTo(OLD);
        assertThat(issuers.servedAt("https://acct.z6.web.core.windows.net/.well-known/openid-configuration"))
                .map(IssuerConfig::issuer).contains("https://acct.z6.web.core.windows.net/");
    }

    /** Same keys, same JWKS bytes; each discovery document names its own issuer and jwks_uri. */
    @Test
    void everyIssuerHasItsOwnDiscoveryOverTheSameJwks() throws Exception {
        var key = SigningKey.generate(io.kubeoidc.keys.KeySpec.parse("EC-P256"), new java.security.SecureRandom()).verificationKey();
        Map<String, PublishedDocuments> docs = Issuers.of(OLD, List.of("https://new.example.com/"), false)
                .render(List.of(key));
        assertThat(docs.keySet()).containsExactly("https://oidc.example.com/cluster-a", "https://new.example.com/");
        PublishedDocuments a = docs.get("https://oidc.example.com/cluster-a");
        PublishedDocuments b = docs.get("https://new.example.com/");
        assertThat(a.jwks().bytes()).isEqualTo(b.jwks().bytes());
        assertThat(new String(b.discovery().bytes(), StandardCharsets.UTF_8)).isEqualTo("{\"issuer\":\"https://new.example.com/\","
                + "\"jwks_uri\":\"https://new.example.com/openid/v1/jwks\",\"response_types_supported\":[\"id_token\"],"
                + "\"subject_types_supported\":[\"public\"],\"id_token_signing_alg_values_supported\":[\"ES256\"]}");
        assertThat(new String(a.discovery().bytes(), StandardCharsets.UTF_8))
                .startsWith("{\"issuer\":\"https://oidc.example.com/cluster-a\",\"jwks_uri\":\"https://oidc.example.com/cluster-a/openid/v1/jwks\"");
    }
}
