package io.kubeoidc.pem;

/** A key file that cannot be used; the message names the file and the reason. */
public class KeyFileException extends RuntimeException {
    public KeyFileException(String message) {
        super(message);
    }

    public KeyFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
