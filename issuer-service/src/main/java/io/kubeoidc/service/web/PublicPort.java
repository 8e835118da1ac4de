package io.kubeoidc.service.web;

import io.kubeoidc.service.config.InvalidConfigurationException;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * server.port stays the public port for users, but the documents are served by {@link DocumentServer}, not
 * the embedded servlet container: this hands server.port to it and turns the container's main listener off
 * (port -1), so the container serves only the management port (actuator, management.server.port).
 */
public class PublicPort implements EnvironmentPostProcessor, Ordered {
    static final String PROPERTY = "issuer.internal.public-port";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        if (env.containsProperty(PROPERTY)) {
            return;
        }
        String port = env.getProperty("server.port", "8080").strip();
        if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
            // Checked here: later it would be a bare NumberFormatException, or a bind error after keys were written.
            throw new InvalidConfigurationException("server.port '" + port + "' is not a port number (0 to 65535)",
                    "Set server.port (SERVER_PORT) to the public port of the documents, 8080 by default.", null);
        }
        env.getPropertySources().addFirst(new MapPropertySource("issuer-public-port",
                Map.of(PROPERTY, port, "server.port", "-1")));
    }

    /** After the configuration files are loaded, so server.port from application.properties is seen. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
