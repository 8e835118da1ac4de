package io.kubeoidc.service.web;

import io.kubeoidc.documents.IssuerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The exact paths the documents are served at: the kube-apiserver paths, and the same under the
 * issuer's path when it has one (https://host/cluster-a: OIDC discovery fetches
 * /cluster-a/.well-known/openid-configuration). The one list both routing and security use.
 */
public record DocumentRoutes(List<String> discoveryPaths, List<String> jwksPaths) {

    public static DocumentRoutes of(IssuerConfig issuer) {
        List<String> discovery = new ArrayList<>(List.of(IssuerConfig.DISCOVERY_PATH));
        List<String> jwks = new ArrayList<>(List.of(IssuerConfig.JWKS_PATH));
        String prefix = issuer.issuerPathPrefix();
        if (!prefix.isEmpty()) {
            discovery.add(prefix + IssuerConfig.DISCOVERY_PATH);
            jwks.add(prefix + IssuerConfig.JWKS_PATH);
        }
        return new DocumentRoutes(List.copyOf(discovery), List.copyOf(jwks));
    }

    public List<String> all() {
        List<String> all = new ArrayList<>(discoveryPaths);
        all.addAll(jwksPaths);
        return all;
    }
}
