package io.kubeoidc.store;

/** The store cannot be read or written; the message names the store and the reason. */
public class KeyStoreException extends RuntimeException {
    public KeyStoreException(String message) {
        super(message);
    }

    public KeyStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
