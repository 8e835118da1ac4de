package io.kubeoidc.store;

/** The store holds an older revision than one already served: refused, so a revoked key cannot come back. */
public class RolledBackKeySetException extends KeyStoreException {
    private final long revision;
    private final long highWaterMark;

    public RolledBackKeySetException(String store, long revision, long highWaterMark) {
        super(store + " was rolled back: it holds key-set revision " + revision + ", but revision " + highWaterMark
                + " was already served here; refusing to go back (a revoked key could sign again). To return to a"
                + " backup on purpose, run `keys restore` (docs/keys.md)");
        this.revision = revision;
        this.highWaterMark = highWaterMark;
    }

    public long revision() {
        return revision;
    }

    public long highWaterMark() {
        return highWaterMark;
    }
}
