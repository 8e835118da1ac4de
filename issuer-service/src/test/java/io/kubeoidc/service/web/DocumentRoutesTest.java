package io.kubeoidc.service.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.documents.Issuers;
import io.kubeoidc.service.web.DocumentRoutes.Target;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which issuer's documents each public path serves during an issuer URL move, and when the Host decides. */
class DocumentRoutesTest {
    static final String D = IssuerConfig.DISCOVERY_PATH;
    static final String J = IssuerConfig.JWKS_PATH;

    static DocumentRoutes routes(String signing, String... additional) {
        return DocumentRoutes.of(Issuers.of(IssuerConfig.of(signing, null, false), List.of(additional), false));
    }

    @Test
    void oneIssuerIsServedAtTheKubeApiserverPathsAndUnderItsPath() {
        var r = routes("https://oidc.example.com/cluster-a");
        assertThat(r.discoveryPaths()).containsExactly(D, "/cluster-a" + D);
        assertThat(r.jwksPaths()).containsExactly(J, "/cluster-a" + J);
        assertThat(r.discoveryHost()).isEmpty();
    }

    @Test
    void issuersThatDifferByPathEachHaveTheirOwnPath() {
        var r = routes("https://oidc.example.com/cluster-a", "https://oidc.example.com/cluster-b");
        assertThat(r.byPath()).containsEntry(D, new Target("https://oidc.example.com/cluster-a", false))
                .containsEntry("/cluster-a" + D, new Target("https://oidc.example.com/cluster-a", false))
                .containsEntry("/cluster-b" + D, new Target("https://oidc.example.com/cluster-b", false))
                .containsKey("/cluster-b" + J);
        assertThat(r.discoveryHost()).isEmpty();
    }

    /** kubeadm's default issuer to a public one: both at the root path, told apart by Host. */
    @Test
    void issuersThatShareAPathAreToldApartByHost() {
        var r = routes("https://kubernetes.default.svc.cluster.local", "https://oidc.example.com");
        assertThat(r.discoveryHost()).isEqualTo(Map.of(D, Map.of("kubernetes.default.svc.cluster.local",
                "https://kubernetes.default.svc.cluster.local", "oidc.example.com", "https://oidc.example.com")));
        // Any other Host (an IP, a proxy's name) gets the signing issuer's, as before the move.
        assertThat(r.byPath()).containsEntry(D, new Target("https://kubernetes.default.svc.cluster.local", false));
    }

    /** An additional issuer at the root and a signing issuer with a path: its Host gets its own document there. */
    @Test
    void theSigningIssuersRootAliasYieldsToAnIssuerLocatedThere() {
        var r = routes("https://oidc.example.com/cluster-a", "https://acct.z6.web.core.windows.net/");
        assertThat(r.discoveryHost().get(D)).isEqualTo(Map.of("acct.z6.web.core.windows.net",
                "https://acct.z6.web.core.windows.net/"));
        assertThat(r.byPath().get(D).issuer()).isEqualTo("https://oidc.example.com/cluster-a");
    }

    /** Two additional issuers at one path, neither the signing one: an unknown Host is not given either. */
    @Test
    void aSharedPathWithoutTheSigningIssuerHasNoFallback() {
        var r = routes("https://oidc.example.com/a", "https://x.example.com/b", "https://y.example.com/b");
        assertThat(r.byPath()).doesNotContainKey("/b" + D).containsKey("/b" + J);
        assertThat(r.discoveryPaths()).contains("/b" + D);
        assertThat(r.discoveryHost().get("/b" + D)).containsOnlyKeys("x.example.com", "y.example.com");
    }

    @Test
    void hostHeaderLosesPortAndCase() {
        assertThat(DocumentRequestHandler.host("OIDC.Example.com:8443")).isEqualTo("oidc.example.com");
        assertThat(DocumentRequestHandler.host("[::1]:8080")).isEqualTo("[::1]");
        assertThat(DocumentRequestHandler.host(null)).isEmpty();
    }
}
