package io.kubeoidc.service.signer;

import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class SignerConfig {

    /** Only when issuer.signer.socket is set. */
    @Bean
    @ConditionalOnExpression("'${issuer.signer.socket:}'.trim() != ''")
    SignerServer signerServer(IssuerSettings settings, IssuerKeys keys, MeterRegistry registry) {
        return new SignerServer(settings.signer(), new SignerCore(keys, settings.signer(),
                settings.issuers().urls(), registry));
    }

    /**
     * health/signer, part of the readiness group: UP when the socket at the path is the one this service bound and
     * accepts connections (or the signer is off); DOWN with the reason otherwise.
     */
    @Bean("signer")
    HealthIndicator signerHealth(ObjectProvider<SignerServer> server) {
        return () -> {
            SignerServer s = server.getIfAvailable();
            if (s == null) {
                return Health.up().withDetail("enabled", false).build();
            }
            String problem = s.problem();
            return problem == null ? Health.up().withDetail("socket", s.socket().toString()).build()
                    : Health.down().withDetail("socket", s.socket().toString()).withDetail("reason", problem).build();
        };
    }
}
