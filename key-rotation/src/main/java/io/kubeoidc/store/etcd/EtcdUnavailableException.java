package io.kubeoidc.store.etcd;

import io.kubeoidc.store.KeyStoreException;

/** etcd did not answer in time (no quorum, network, TLS): the replica keeps serving what it has. */
public class EtcdUnavailableException extends KeyStoreException {
    public EtcdUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
