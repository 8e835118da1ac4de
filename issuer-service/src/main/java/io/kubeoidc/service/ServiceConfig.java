package io.kubeoidc.service;

import io.kubeoidc.custody.FilesCustody;
import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.ha.Leadership;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.PublicKeysFile;
import java.security.SecureRandom;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class ServiceConfig {
    /** Any store but etcd: an unknown name then reaches IssuerSettings, which refuses it with a clear message. */
    static final String NOT_ETCD = "'${issuer.keys.store:directory}'.trim().toLowerCase() != 'etcd'";

    private static final Logger log = LoggerFactory.getLogger(ServiceConfig.class);

    @Bean
    IssuerSettings issuerSettings(IssuerProperties properties, @Value("${issuer.internal.public-port:8080}") int serverPort) {
        IssuerSettings settings = IssuerSettings.from(properties, serverPort);
        if (settings.developmentIssuer()) {
            log.warn("""

                    ********************************************************************************
                    * DEVELOPMENT ISSUER: issuer.url is not set, so the issuer is {}
                    * over plain http. Entra ID and kube-apiserver reject http issuers, and tokens
                    * for this issuer are useless outside this machine. For a real cluster set
                    * issuer.url (ISSUER_URL) to the public https URL of your OIDC documents.
                    ********************************************************************************""",
                    settings.issuer().issuer());
        } else if (settings.issuer().insecureHttp()) {
            log.warn("issuer.allow-insecure-http=true: serving http URLs ({}, {}). Entra ID and kube-apiserver"
                    + " will reject them; use this for local development only.",
                    settings.issuer().issuer(), settings.issuer().jwksUri());
        }
        log.info("Issuer {}, jwks_uri {}", settings.issuer().issuer(), settings.issuer().jwksUri());
        settings.issuers().additional().forEach(i -> log.info("Also publishing for issuer {} (issuer.additional-urls),"
                + " jwks_uri {}: the same keys, and the signer accepts its iss", i.issuer(), i.jwksUri()));
        return settings;
    }

    /** Who holds the private keys (issuer.keys.custody, validated by IssuerSettings): every store is given it. */
    @Bean
    KeyCustody keyCustody(IssuerSettings settings, IssuerProperties properties, SecureRandom random) {
        if (FilesCustody.NAME.equals(settings.keyCustody())) {
            return new FilesCustody(random);
        }
        if ("pkcs11".equals(settings.keyCustody())) {
            // Validated by IssuerSettings; opening logs in, so a wrong PIN or an unknown token stops the start here.
            return io.kubeoidc.custody.pkcs11.Pkcs11Custody.open(IssuerSettings.pkcs11Settings(properties,
                    properties.keys().store().strip().toLowerCase(java.util.Locale.ROOT)));
        }
        throw new IllegalStateException("issuer.keys.custody " + settings.keyCustody() + " has no implementation");
    }

    @Bean
    io.kubeoidc.service.custody.CustodyMonitor custodyMonitor(KeyCustody custody) {
        return new io.kubeoidc.service.custody.CustodyMonitor(custody);
    }

    /** health/custody (in the readiness group): DOWN with the reason while the custody cannot sign. */
    @Bean
    org.springframework.boot.health.contributor.HealthIndicator custody(io.kubeoidc.service.custody.CustodyMonitor monitor) {
        return new io.kubeoidc.service.custody.CustodyHealthIndicator(monitor);
    }

    /** The single-node store (issuer.keys.store=directory, the default); etcd is configured in HaConfig. */
    @Bean
    @ConditionalOnExpression(NOT_ETCD)
    DirectoryKeyStore keyStore(IssuerProperties properties, KeyCustody custody) {
        return new DirectoryKeyStore(properties.keys().directory(), custody);
    }

    @Bean
    @ConditionalOnExpression(NOT_ETCD)
    Leadership soleReplica() {
        return Leadership.SOLE;
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    SecureRandom secureRandom() {
        return new SecureRandom();
    }

    /** The key store, or in publisher mode the mounted file of public keys (keys managed elsewhere). */
    @Bean
    @ConditionalOnExpression(NOT_ETCD)
    IssuerKeys issuerKeys(IssuerSettings settings, DirectoryKeyStore store) {
        if (settings.publisherKeysFile() != null) {
            log.info("Publisher mode: publishing the keys in {}; no signing key is held and nothing rotates here",
                    settings.publisherKeysFile());
            return new IssuerKeys(settings, new PublicKeysFile(settings.publisherKeysFile()));
        }
        return new IssuerKeys(settings, store);
    }
}
