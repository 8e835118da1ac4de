package io.kubeoidc.service.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Deny by default. Anonymous GET and HEAD reach exactly the document paths; any other method on
 * them gets 405 with Allow, and every other path 404, answered by Spring Security itself so that
 * nothing else in the application is reachable from the public port.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfig {

    /** Actuator lives on the management port (internal: probes and Prometheus), never on the public one. */
    @Bean
    @Order(1)
    SecurityFilterChain management(HttpSecurity http) throws Exception {
        return http.securityMatcher(EndpointRequest.toAnyEndpoint())
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .csrf(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain documents(HttpSecurity http, DocumentRoutes routes) throws Exception {
        String[] paths = routes.all().toArray(String[]::new);
        Set<String> documentPaths = Set.copyOf(routes.all());
        return http
                .authorizeHttpRequests(a -> a
                        .requestMatchers(HttpMethod.GET, paths).permitAll()
                        .requestMatchers(HttpMethod.HEAD, paths).permitAll()
                        .anyRequest().denyAll())
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((req, res, ex) -> reject(req, res, documentPaths))
                        .accessDeniedHandler((req, res, ex) -> reject(req, res, documentPaths)))
                // No sessions, no login, no state-changing endpoints: CSRF has nothing to protect.
                .csrf(AbstractHttpConfigurer::disable)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(AbstractHttpConfigurer::disable)
                .securityContext(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                // The documents set their own public Cache-Control; Security's no-store default would override it.
                .headers(h -> h.cacheControl(c -> c.disable()))
                .build();
    }

    private static void reject(HttpServletRequest req, HttpServletResponse res, Set<String> documentPaths)
            throws IOException {
        if (documentPaths.contains(req.getRequestURI())) {
            res.setHeader("Allow", "GET, HEAD");
            res.setStatus(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
        } else {
            res.setStatus(HttpServletResponse.SC_NOT_FOUND);
        }
        res.setContentType("text/plain;charset=UTF-8");
        res.getWriter().write(res.getStatus() == 404 ? "404 page not found\n" : "405 method not allowed\n");
    }
}
