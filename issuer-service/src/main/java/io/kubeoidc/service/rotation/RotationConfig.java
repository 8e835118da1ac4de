package io.kubeoidc.service.rotation;

import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.service.publish.PublicationTarget;
import io.kubeoidc.store.DirectoryKeyStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class RotationConfig {
    /** Not in publisher mode, where keys are managed elsewhere. */
    @Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnExpression("'${issuer.publisher.keys-file:}'.trim() == ''")
    RotationService rotationService(IssuerKeys keys, DirectoryKeyStore store, IssuerSettings settings,
                                    List<PublicationTarget> targets, Clock clock, SecureRandom random,
                                    MeterRegistry registry) {
        return new RotationService(keys, store, settings, targets, clock, random, registry);
    }
}
