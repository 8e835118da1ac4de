package io.kubeoidc.service.publish;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class MirrorConfig {
    private static final Logger log = LoggerFactory.getLogger(MirrorConfig.class);

    /** The same files under a directory (default ./data/public), for any static web server. A rotation gate. */
    @Bean
    @ConditionalOnProperty(name = "issuer.mirror.filesystem.enabled", havingValue = "true", matchIfMissing = true)
    DocumentMirror filesystemMirror(IssuerProperties properties, MeterRegistry registry) {
        var fs = properties.mirror().filesystem();
        return new DocumentMirror("filesystem", fs.issuer(), new DirectoryStorage(fs.directory()), "",
                url("issuer.mirror.filesystem.public-base-url", fs.publicBaseUrl(), false), null, registry);
    }

    /** Azure Blob Storage, when a connection string or endpoint is set. A rotation gate. */
    @Bean
    @ConditionalOnExpression("'${issuer.mirror.azure.connection-string:}${issuer.mirror.azure.endpoint:}'.trim() != ''")
    DocumentMirror azureBlobMirror(IssuerProperties properties, IssuerSettings settings, IssuerKeys keys,
                                   MeterRegistry registry) {
        DocumentMirror m = azureMirror("azure-blob", "issuer.mirror.azure", properties.mirror().azure(), settings,
                registry);
        List<String> notRs256 = keys.current().stored().keySet().published().stream()
                .filter(k -> !"RS256".equals(k.algorithm().getName())).map(k -> k.kid() + " (" + k.algorithm() + ")").toList();
        if (!notRs256.isEmpty()) {
            log.warn("Published keys that are not RS256: {}. Entra ID supports only RS256; tokens they signed may be"
                    + " refused in the token exchange", notRs256);
        }
        return m;
    }

    /** Amazon S3 or an S3-compatible store, when any of its settings is present (a bucket enables it). A rotation gate. */
    @Bean
    @ConditionalOnExpression("'${issuer.mirror.s3.bucket:}${issuer.mirror.s3.region:}${issuer.mirror.s3.endpoint:}"
            + "${issuer.mirror.s3.public-base-url:}'.trim() != ''")
    DocumentMirror s3Mirror(IssuerProperties properties, IssuerSettings settings, MeterRegistry registry) {
        return S3Mirror.create(properties.mirror().s3(), settings, registry);
    }

    /**
     * One Azure container: where Entra ID fetches one issuer's documents.
     *
     * @param property where it is configured, for messages
     */
    private static DocumentMirror azureMirror(String name, String property, IssuerProperties.Azure azure,
                                              IssuerSettings settings, MeterRegistry registry) {
        String base = url(property + ".public-base-url", azure.publicBaseUrl(), true);
        String prefix = prefix(property + ".prefix", "blob", azure.prefix());
        DocumentMirror m = new DocumentMirror(name, azure.issuer(), AzureBlobStorage.create(azure), prefix, base,
                azure.cacheControl(), registry);
        guard(settings, m, azure);
        return m;
    }

    /**
     * The Azure mirrors and any other mirror bean. issuer.mirror.additional-azure adds containers during an issuer
     * URL move from one storage account to another: each publishes for the issuer its public URL serves.
     */
    @Bean
    MirrorService mirrorService(IssuerKeys keys, ObjectProvider<DocumentMirror> mirrors, IssuerProperties properties,
                                IssuerSettings settings, Clock clock, io.kubeoidc.service.ha.Leadership leadership,
                                MeterRegistry registry) {
        List<DocumentMirror> all = new java.util.ArrayList<>(mirrors.orderedStream().toList());
        List<IssuerProperties.Azure> additional = properties.mirror().additionalAzure();
        for (int i = 0; i < additional.size(); i++) {
            String property = "issuer.mirror.additional-azure[" + i + "]";
            // IssuerSettings checked each has credentials and a configured issuer, if any.
            all.add(azureMirror("azure-blob-" + (i + 2), property, additional.get(i), settings, registry));
        }
        return new MirrorService(keys, all, properties.mirror().interval(), clock, leadership, registry);
    }

    /** health/mirror: per mirror, whether the public copy verifies, and why not. */
    @Bean("mirror")
    HealthIndicator mirrorHealth(MirrorService service) {
        return () -> {
            Health.Builder b = Health.up();
            for (DocumentMirror m : service.mirrors()) {
                var s = service.state(m);
                var detail = new java.util.LinkedHashMap<String, Object>();
                detail.put("storage", m.storage());
                detail.put("issuer", service.issuer(m));
                detail.put("verified", s.verified());
                if (s.lastError() != null) {
                    detail.put("error", s.lastError());
                }
                if (s.lastVerified() != null) {
                    detail.put("lastVerified", s.lastVerified().toString());
                }
                if (s.lastPublished() != null) {
                    detail.put("lastPublished", s.lastPublished().toString());
                }
                b.withDetail(m.name(), detail);
            }
            return b.build();
        };
    }

    /** A name prefix, validated: empty, or ending with '/' and not starting with it. */
    static String prefix(String property, String objects, String value) {
        String prefix = value == null ? "" : value.strip();
        if (!prefix.isEmpty() && (!prefix.endsWith("/") || prefix.startsWith("/"))) {
            // Object names are the prefix and the document path glued together: "cluster-a" would publish
            // cluster-aopenid/v1/jwks, which no relying party fetches.
            String fixed = prefix.replaceAll("^/+", "").replaceAll("/*$", "/");
            throw new InvalidConfigurationException(property + " '" + prefix + "' must "
                    + (prefix.startsWith("/") ? "not start with '/'" : "end with '/'") + ": " + objects + " names are the"
                    + " prefix followed by the document path, so it would publish " + prefix + "openid/v1/jwks",
                    "Use '" + fixed + "'.", null);
        }
        return prefix;
    }

    static String url(String property, String value, boolean required) {
        if (value == null || value.isBlank()) {
            if (required) {
                throw new InvalidConfigurationException(property + " is not set; the mirror must know where anonymous"
                        + " readers fetch the documents to verify them", "Set it to the static website endpoint"
                        + " (https://ACCOUNT.zNN.web.core.windows.net/) or the public container URL.", null);
            }
            return null;
        }
        URI uri = URI.create(value.strip());
        if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
            throw new InvalidConfigurationException(property + " '" + value + "' is not an http(s) URL",
                    "Use the URL anonymous readers fetch the documents from.", null);
        }
        return value.strip();
    }

    /**
     * Entra derives the discovery URL from the issuer; it must be where this mirror publishes, or Entra
     * reads something else (or nothing). Also: Entra accepts only RS256.
     */
    private static void guard(IssuerSettings settings, DocumentMirror mirror, IssuerProperties.Azure azure) {
        IssuerConfig issuer = MirrorService.issuerFor(settings.issuers(), azure.issuer(),
                mirror.publicUrl(IssuerConfig.DISCOVERY_PATH), mirror.name());
        String entraFetches = issuer.discoveryUrl();
        String mirrored = mirror.publicUrl(IssuerConfig.DISCOVERY_PATH);
        String host = URI.create(issuer.issuer()).getHost().toLowerCase(Locale.ROOT);
        if (host.endsWith(".blob.core.windows.net") && "$web".equals(azure.container())) {
            log.warn("The issuer {} is on the blob endpoint, but the $web container is private there: Entra ID cannot"
                    + " fetch it. Use the static website endpoint (*.web.core.windows.net) as the issuer.", issuer.issuer());
        } else if (!entraFetches.equals(mirrored)) {
            log.warn("Entra ID will fetch discovery from {} (the issuer + /.well-known/openid-configuration), but the"
                    + " Azure mirror publishes it at {}. Unless a CDN or proxy maps one to the other, federation will"
                    + " fail (AADSTS50166); check issuer.url, issuer.mirror.azure.public-base-url and prefix.",
                    entraFetches, mirrored);
        }
        String jwksMirrored = mirror.publicUrl(IssuerConfig.JWKS_PATH);
        if (!issuer.jwksUri().equals(jwksMirrored)) {
            log.warn("jwks_uri is {} but the Azure mirror publishes the JWKS at {}", issuer.jwksUri(), jwksMirrored);
        }
        if (!"RS256".equals(settings.policy().keySpec().jwsAlgorithm())) {
            log.warn("issuer.rotation.algorithm is {}: Entra ID supports only RS256 (RSA) keys; its token exchange may"
                    + " reject tokens signed with {}", settings.policy().keySpec().label(),
                    settings.policy().keySpec().jwsAlgorithm());
        }
    }
}
