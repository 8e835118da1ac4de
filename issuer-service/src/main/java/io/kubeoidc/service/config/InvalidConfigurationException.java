package io.kubeoidc.service.config;

/** A configuration value the service refuses to start with; the message names the property. */
public class InvalidConfigurationException extends RuntimeException {
    private final String action;

    public InvalidConfigurationException(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    public String action() {
        return action;
    }
}
