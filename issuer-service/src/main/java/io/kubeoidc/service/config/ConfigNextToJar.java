package io.kubeoidc.service.config;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.system.ApplicationHome;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Reads application.properties (or .yaml) next to the jar as well as in the working directory: Spring Boot
 * looks only in the working directory, so a service started from elsewhere (systemd, a script) silently
 * ignored the file beside the jar. Runs before the configuration files are loaded.
 */
public class ConfigNextToJar implements EnvironmentPostProcessor, Ordered {
    static final String ADDITIONAL = "spring.config.additional-location";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        File jar = new ApplicationHome(application.getMainApplicationClass()).getSource();
        if (jar == null || !jar.isFile()) {
            return; // not run from a jar (tests in an IDE)
        }
        Path dir = jar.toPath().toAbsolutePath().getParent();
        try {
            if (Files.isSameFile(dir, Path.of("").toAbsolutePath())) {
                return; // the working directory is read anyway
            }
        } catch (java.io.IOException e) {
            return;
        }
        String location = "optional:file:" + dir + "/";
        String given = env.getProperty(ADDITIONAL);
        // The user's own additional locations come after, so they override the file next to the jar.
        String value = given == null || given.isBlank() ? location : location + "," + given;
        env.getPropertySources().addFirst(new MapPropertySource("issuer-config-next-to-jar", Map.of(ADDITIONAL, value)));
    }

    @Override
    public int getOrder() {
        return ConfigDataEnvironmentPostProcessor.ORDER - 1;
    }
}
