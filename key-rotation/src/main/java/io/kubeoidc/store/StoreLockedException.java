package io.kubeoidc.store;

/** Another writer holds the store's lock. */
public class StoreLockedException extends KeyStoreException {
    public StoreLockedException(String message) {
        super(message);
    }
}
