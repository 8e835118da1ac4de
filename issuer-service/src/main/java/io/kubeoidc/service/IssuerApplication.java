package io.kubeoidc.service;

import io.kubeoidc.service.cli.Cli;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * One jar, two faces: {@code java -jar issuer-service.jar [--property=value...]} runs the service;
 * {@code java -jar issuer-service.jar keys ...}, {@code --help} or {@code --version} runs the CLI without
 * starting Spring (which would create ./data/keys and a private key wherever the user happens to be).
 */
// No users: nothing here authenticates, so Boot's generated development password is only noise.
@SpringBootApplication(exclude = UserDetailsServiceAutoConfiguration.class)
@ConfigurationPropertiesScan
@EnableScheduling
public class IssuerApplication {

    public static void main(String[] args) {
        if (Cli.handles(args)) {
            System.exit(Cli.run(args));
        }
        SpringApplication.run(IssuerApplication.class, args);
    }
}
