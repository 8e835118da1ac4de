package io.kubeoidc.service.rotation;

import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.service.publish.MirrorService;
import io.kubeoidc.service.publish.PublicationTarget;
import io.kubeoidc.service.ha.Leadership;
import io.kubeoidc.store.KeyStore;
import io.kubeoidc.store.KeyStoreException;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class RotationConfig {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RotationConfig.class);

    /** Not in publisher mode, where keys are managed elsewhere. */
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnExpression("'${issuer.publisher.keys-file:}'.trim() == ''")
    RotationService rotationService(IssuerKeys keys, KeyStore store, Leadership leadership, IssuerSettings settings,
                                    List<PublicationTarget> beans, MirrorService mirrors, Clock clock,
                                    MeterRegistry registry, io.kubeoidc.service.custody.CustodyMonitor custody) {
        // Every mirror of every issuer gates: the mirror beans, and the mirrors an issuer URL move adds.
        List<PublicationTarget> targets = java.util.stream.Stream.concat(beans.stream(), mirrors.mirrors().stream())
                .distinct().toList();
        int imported = (int) keys.current().stored().keySet().keys().stream()
                .filter(k -> k.state() == io.kubeoidc.keyset.KeyState.VERIFY_ONLY).count();
        String tooLow = settings.policy().maxKeysTooLow(imported);
        if (tooLow != null) {
            throw new io.kubeoidc.service.config.InvalidConfigurationException(tooLow,
                    "Raise issuer.rotation.max-keys (at most 100), or drop imported keys with `keys remove KID`.", null);
        }
        warnIfEntraWouldRefuse(settings, keys);
        return new RotationService(keys, store, leadership, settings, targets, clock, registry, custody);
    }

    /**
     * Entra ID accepts only RS256, whichever target publishes the documents (a CDN or a copy job may put them in
     * front of Entra without an Azure mirror here), so a key that would sign anything else is worth a word at start.
     */
    static void warnIfEntraWouldRefuse(IssuerSettings settings, IssuerKeys keys) {
        var spec = settings.policy().keySpec();
        if (!"RS256".equals(spec.jwsAlgorithm())) {
            log.warn("issuer.rotation.algorithm is {}: keys generated from now on sign {}, and Entra ID accepts only RS256;"
                    + " its workload identity token exchange would refuse their tokens (AADSTS700027). Use RSA-2048 if"
                    + " Entra ID is a relying party.", spec.label(), spec.jwsAlgorithm());
        }
        keys.current().stored().keySet().active().filter(k -> !"RS256".equals(k.key().algorithm().getName()))
                .ifPresent(k -> log.warn("The ACTIVE key {} signs {}, and Entra ID accepts only RS256; its workload"
                        + " identity token exchange would refuse the tokens it signs (AADSTS700027). Rotate to an RSA key"
                        + " (issuer.rotation.algorithm=RSA-2048) if Entra ID is a relying party.", k.kid(), k.key().algorithm()));
    }

    /**
     * The CLI's status and rotate read the policy the service last ran with: recorded once the service is up,
     * so a start that fails (a port in use, a bad socket path) leaves the store as it was.
     */
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnExpression("'${issuer.publisher.keys-file:}'.trim() == ''")
    ApplicationListener<ApplicationReadyEvent> policyRecorder(KeyStore store, IssuerSettings settings) {
        return ready -> {
            try {
                store.recordPolicy(settings.policy());
            } catch (KeyStoreException e) {
                log.warn("Cannot record the rotation policy (the CLI's status and rotate read it): {}", e.getMessage());
            }
        };
    }
}
