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
        return DocumentRoutes.of(settings.issuers());
    }

    /** The public port: exact paths to the two documents; nothing else in the application serves it. */
    @Bean
    DocumentServer documentServer(DocumentRoutes routes, IssuerKeys keys, IssuerSettings settings, MeterRegistry registry,
                                  @Value("${" + PublicPort.PROPERTY + "}") int port,
                                  @Value("${server.address:}") String bindAddress) {
        Map<String, DocumentRequestHandler.Route> paths = new LinkedHashMap<>();
        routes.byPath().forEach((path, target) -> paths.put(path, route(target, settings)));
        Map<String, Map<String, DocumentRequestHandler.Route>> byHost = new LinkedHashMap<>();
        routes.discoveryHost().forEach((path, hosts) -> {
            Map<String, DocumentRequestHandler.Route> m = new LinkedHashMap<>();
            hosts.forEach((host, issuer) -> m.put(host, route(new DocumentRoutes.Target(issuer, false), settings)));
            byHost.put(path, m);
        });
        InetSocketAddress address = bindAddress.isBlank() ? new InetSocketAddress(port) : new InetSocketAddress(bindAddress, port);
        return new DocumentServer(address, new DocumentRequestHandler(keys, paths, byHost, settings.maxAgeSeconds(),
                registry), settings.httpLimits(), registry);
    }

    /** The signing issuer's documents come from the snapshot's first-class field: no map lookup per request. */
    private static DocumentRequestHandler.Route route(DocumentRoutes.Target target, IssuerSettings settings) {
        if (target.jwks()) {
            return new DocumentRequestHandler.Route("jwks", s -> s.documents().jwks(), settings.jwksContentType());
        }
        String issuer = target.issuer();
        return issuer.equals(settings.issuer().issuer())
                ? new DocumentRequestHandler.Route("discovery", s -> s.documents().discovery(), "application/json")
                : new DocumentRequestHandler.Route("discovery", s -> s.documents(issuer).discovery(), "application/json");
    }
}
