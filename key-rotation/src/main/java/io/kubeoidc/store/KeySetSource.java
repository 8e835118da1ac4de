package io.kubeoidc.store;

/** Where the served keys come from: the key store, or (publisher mode) a read-only file of public keys. */
public interface KeySetSource {

    StoredKeys load();

    /** Changes whenever {@link #load()} would return something different; cheap to call often. */
    String version();

    String describe();

    /** The {@link #version()} of a set this source's store just committed. */
    default String versionOf(io.kubeoidc.keyset.KeySet committed) {
        return Long.toString(committed.revision());
    }
}
