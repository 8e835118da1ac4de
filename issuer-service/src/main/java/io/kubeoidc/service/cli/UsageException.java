package io.kubeoidc.service.cli;

/**
 * The command line itself is wrong (missing or conflicting options, a missing environment variable that stands
 * in for an option): reported like picocli's own parse errors, with the synopsis, and exit code 2.
 */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
