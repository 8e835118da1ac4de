package io.kubeoidc.service.web;

import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.handler.SimpleUrlHandlerMapping;

@Configuration(proxyBeanMethods = false)
public class WebConfig {

    @Bean
    DocumentRoutes documentRoutes(IssuerSettings settings) {
        return DocumentRoutes.of(settings.issuer());
    }

    /** Exact-path mapping to the two handlers; nothing else in the application serves HTTP. */
    @Bean
    SimpleUrlHandlerMapping documentHandlerMapping(DocumentRoutes routes, IssuerKeys keys, IssuerSettings settings) {
        var discovery = new DocumentHandler(keys, s -> s.documents().discovery(), "application/json",
                settings.maxAgeSeconds());
        var jwks = new DocumentHandler(keys, s -> s.documents().jwks(), settings.jwksContentType(),
                settings.maxAgeSeconds());
        Map<String, Object> urls = new LinkedHashMap<>();
        routes.discoveryPaths().forEach(p -> urls.put(p, discovery));
        routes.jwksPaths().forEach(p -> urls.put(p, jwks));
        return new SimpleUrlHandlerMapping(urls, Ordered.HIGHEST_PRECEDENCE);
    }

}
