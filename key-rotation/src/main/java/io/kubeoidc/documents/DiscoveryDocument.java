package io.kubeoidc.documents;

import io.kubeoidc.keys.VerificationKey;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The OpenID discovery document exactly as kube-apiserver serves it: five members in this order,
 * and the algorithm list sorted and de-duplicated (Go's sets.String.List()). No authorization or
 * token endpoint: this issuer has neither, and kube-apiserver leaves them out deliberately.
 */
public final class DiscoveryDocument {
    private DiscoveryDocument() {}

    public static byte[] render(IssuerConfig config, List<VerificationKey> keys) {
        SortedSet<String> algs = new TreeSet<>();
        for (VerificationKey k : keys) {
            algs.add(k.algorithm().getName());
        }
        return new GoJson().beginObject()
                .member("issuer", config.issuer())
                .member("jwks_uri", config.jwksUri())
                .stringArray("response_types_supported", List.of("id_token"))
                .stringArray("subject_types_supported", List.of("public"))
                .stringArray("id_token_signing_alg_values_supported", algs)
                .endObject().toBytes();
    }
}
