package io.kubeoidc.service.config;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Everything under {@code issuer.*}. Relaxed binding means ISSUER_URL, ISSUER_KEYS_DIRECTORY and
 * so on work as environment variables. These names are a public contract: keep them.
 *
 * @param url               the issuer; empty means the development issuer http://localhost:{server.port}
 * @param jwksUri           jwks_uri in the discovery document; empty means {issuer}/openid/v1/jwks
 * @param allowInsecureHttp accept an http:// issuer (local development only; Entra ID refuses it)
 */
@ConfigurationProperties("issuer")
public record IssuerProperties(String url, String jwksUri, @DefaultValue("false") boolean allowInsecureHttp,
                               @DefaultValue Keys keys, @DefaultValue Http http) {

    /**
     * @param directory      the directory key store
     * @param algorithm      what a generated key is: RSA-2048 (default; Entra ID accepts only RS256),
     *                       RSA-3072, RSA-4096, EC-P256, EC-P384, EC-P521
     * @param reloadInterval how often to look for changes made by the CLI while the service runs
     */
    public record Keys(@DefaultValue("./data/keys") Path directory, @DefaultValue("RSA-2048") String algorithm,
                       @DefaultValue("5s") Duration reloadInterval) {}

    /**
     * @param maxAge          Cache-Control max-age of both documents (kube-apiserver uses 3600 s)
     * @param jwksContentType application/jwk-set+json (as kube-apiserver), or application/json for
     *                        clients that reject the former
     */
    public record Http(@DefaultValue("3600s") Duration maxAge,
                       @DefaultValue("application/jwk-set+json") String jwksContentType) {}
}
