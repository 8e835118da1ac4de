package io.kubeoidc.service;

import io.kubeoidc.service.cli.Cli;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * One jar, two faces: {@code java -jar issuer-service.jar} runs the service (Spring options start
 * with "--"); {@code java -jar issuer-service.jar keys ...} runs the CLI without starting Spring.
 */
// No users: nothing here authenticates, so Boot's generated development password is only noise.
@SpringBootApplication(exclude = UserDetailsServiceAutoConfiguration.class)
@ConfigurationPropertiesScan
@EnableScheduling
public class IssuerApplication {

    public static void main(String[] args) {
        if (args.length > 0 && !args[0].startsWith("-")) {
            System.exit(Cli.run(args));
        }
        SpringApplication.run(IssuerApplication.class, args);
    }
}
