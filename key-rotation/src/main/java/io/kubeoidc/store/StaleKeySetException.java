package io.kubeoidc.store;

/** The store changed between read and write; reload and decide again. */
public class StaleKeySetException extends KeyStoreException {
    public StaleKeySetException(String message) {
        super(message);
    }
}
