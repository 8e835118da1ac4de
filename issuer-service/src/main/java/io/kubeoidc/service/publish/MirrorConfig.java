package io.kubeoidc.service.publish;

import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${issuer.mirror.azure.connection-string:}${issuer.mirror.azure.endpoint:}'.trim() != ''")
class MirrorConfig {

    @Bean
    AzureBlobMirror azureBlobMirror(IssuerProperties properties) {
        var azure = properties.mirror().azure();
        String base = azure.publicBaseUrl();
        if (base == null || base.isBlank()) {
            throw new InvalidConfigurationException("issuer.mirror.azure.public-base-url is not set; the mirror must"
                    + " know where anonymous readers fetch the documents to verify them",
                    "Set it to the static website endpoint (https://ACCOUNT.zNN.web.core.windows.net/) or the"
                    + " container URL.", null);
        }
        URI uri = URI.create(base);
        if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
            throw new InvalidConfigurationException("issuer.mirror.azure.public-base-url '" + base + "' is not an http(s) URL",
                    "Use the URL anonymous readers fetch the container from.", null);
        }
        return new AzureBlobMirror(azure);
    }

    @Bean
    MirrorService mirrorService(IssuerKeys keys, AzureBlobMirror mirror, IssuerProperties properties, Clock clock,
                                MeterRegistry registry) {
        return new MirrorService(keys, mirror, properties.mirror().interval(), clock, registry);
    }
}
