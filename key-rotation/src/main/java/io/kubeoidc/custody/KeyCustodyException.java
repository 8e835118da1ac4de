package io.kubeoidc.custody;

/** A custody could not create, open, sign with or destroy a key. The message names the cause, never a secret. */
public class KeyCustodyException extends RuntimeException {
    public KeyCustodyException(String message) {
        super(message);
    }

    public KeyCustodyException(String message, Throwable cause) {
        super(message, cause);
    }
}
