package io.kubeoidc.service.web;

import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class WebConfig {

    @Bean
    DocumentRoutes documentRoutes(IssuerSettings settings) {
        return DocumentRoutes.of(settings.issuer());
    }

    /** The public port: exact paths to the two documents; nothing else in the application serves it. */
    @Bean
    DocumentServer documentServer(DocumentRoutes routes, IssuerKeys keys, IssuerSettings settings, MeterRegistry registry,
                                  @Value("${" + PublicPort.PROPERTY + "}") int port,
                                  @Value("${server.address:}") String bindAddress) {
        Map<String, DocumentRequestHandler.Route> paths = new LinkedHashMap<>();
        var discovery = new DocumentRequestHandler.Route("discovery", s -> s.documents().discovery(), "application/json");
        var jwks = new DocumentRequestHandler.Route("jwks", s -> s.documents().jwks(), settings.jwksContentType());
        routes.discoveryPaths().forEach(p -> paths.put(p, discovery));
        routes.jwksPaths().forEach(p -> paths.put(p, jwks));
        InetSocketAddress address = bindAddress.isBlank() ? new InetSocketAddress(port) : new InetSocketAddress(bindAddress, port);
        return new DocumentServer(address, new DocumentRequestHandler(keys, paths, settings.maxAgeSeconds(), registry),
                settings.httpLimits(), registry);
    }
}
