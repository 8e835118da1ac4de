package io.kubeoidc.service.web;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.documents.Issuers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exact paths the documents are served at, and whose documents each serves. The signing issuer's are at the
 * kube-apiserver paths, and the same under the issuer's path when it has one (https://host/cluster-a: OIDC
 * discovery fetches /cluster-a/.well-known/openid-configuration). During an issuer URL move every additional
 * issuer's are at its own location. Where two issuers' discovery documents share a path (issuers on different
 * hosts, or one issuer's location and the signing issuer's kube-apiserver path), the request's Host picks; a
 * Host that names none of them gets the signing issuer's, if it is served there. The JWKS is the same for every
 * issuer, so its paths never need the Host.
 *
 * @param byPath        what each path serves when the Host does not decide (a shared path without the signing
 *                      issuer is not in it: a Host that names none of its issuers gets 404)
 * @param discoveryHost for discovery paths several issuers share: host (lower case, no port) to issuer
 */
public record DocumentRoutes(Map<String, Target> byPath, Map<String, Map<String, String>> discoveryHost) {

    /** One path's content: an issuer's discovery document or the JWKS. */
    public record Target(String issuer, boolean jwks) {}

    public static DocumentRoutes of(Issuers issuers) {
        String signing = issuers.signing().issuer();
        Map<String, List<IssuerConfig>> discovery = new LinkedHashMap<>();
        Map<String, Target> byPath = new LinkedHashMap<>();
        byPath.put(IssuerConfig.DISCOVERY_PATH, new Target(signing, false));
        byPath.put(IssuerConfig.JWKS_PATH, new Target(signing, true));
        for (IssuerConfig i : issuers.all()) {
            String path = i.issuerPathPrefix() + IssuerConfig.DISCOVERY_PATH;
            discovery.computeIfAbsent(path, p -> new ArrayList<>()).add(i);
            byPath.putIfAbsent(i.issuerPathPrefix() + IssuerConfig.JWKS_PATH, new Target(signing, true));
        }
        Map<String, Map<String, String>> byHost = new LinkedHashMap<>();
        discovery.forEach((path, located) -> {
            boolean signingAlias = path.equals(IssuerConfig.DISCOVERY_PATH) && !located.contains(issuers.signing());
            if (located.size() == 1 && !signingAlias) {
                byPath.put(path, new Target(located.get(0).issuer(), false));
                return;
            }
            Map<String, String> hosts = new LinkedHashMap<>();
            located.forEach(i -> hosts.put(i.location().host(), i.issuer()));
            byHost.put(path, Map.copyOf(hosts));
            boolean signingHere = signingAlias || located.contains(issuers.signing());
            if (signingHere) {
                byPath.put(path, new Target(signing, false));
            }
        });
        return new DocumentRoutes(java.util.Collections.unmodifiableMap(byPath), Map.copyOf(byHost));
    }

    public List<String> discoveryPaths() {
        List<String> paths = new ArrayList<>(byPath.entrySet().stream().filter(e -> !e.getValue().jwks())
                .map(Map.Entry::getKey).toList());
        discoveryHost.keySet().stream().filter(p -> !paths.contains(p)).sorted().forEach(paths::add);
        return List.copyOf(paths);
    }

    public List<String> jwksPaths() {
        return byPath.entrySet().stream().filter(e -> e.getValue().jwks()).map(Map.Entry::getKey).toList();
    }

    public List<String> all() {
        List<String> all = new ArrayList<>(discoveryPaths());
        all.addAll(jwksPaths());
        return all;
    }
}
