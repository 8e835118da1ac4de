package io.kubeoidc.service.migrate;

/** Input the migration cannot translate; the message names the file and the resource, and nothing is written. */
public final class MigrationInputException extends IllegalArgumentException {
    public MigrationInputException(String message) {
        super(message);
    }
}
