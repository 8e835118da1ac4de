package io.kubeoidc.service.keys;

import io.kubeoidc.documents.PublishedDocuments;
import io.kubeoidc.rotation.KeySetDiff;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.StoredKeys;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service serves: the loaded keys and the documents pre-rendered from them. Readers get
 * an immutable snapshot; a new one is built only when the store's revision changes.
 */
public class IssuerKeys {
    private static final Logger log = LoggerFactory.getLogger(IssuerKeys.class);
    /** Audit trail: one line per transition (kid, from, to, why); never key bytes. */
    public static final Logger AUDIT = LoggerFactory.getLogger("io.kubeoidc.audit");

    /** One consistent pair of key set and the bytes rendered from it. */
    public record Snapshot(StoredKeys stored, PublishedDocuments documents) {
        public long revision() {
            return stored.keySet().revision();
        }
    }

    private final IssuerSettings settings;
    private final DirectoryKeyStore store;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    private volatile String lastReloadError;

    public IssuerKeys(IssuerSettings settings, DirectoryKeyStore store) {
        this.settings = settings;
        this.store = store;
        install(store.load());
    }

    public Snapshot current() {
        return current.get();
    }

    public IssuerSettings settings() {
        return settings;
    }

    public String lastReloadError() {
        return lastReloadError;
    }

    /** Picks up changes written by the CLI (or another writer); cheap when nothing changed. */
    public boolean reloadIfChanged() {
        try {
            if (store.storedRevision() == current().revision()) {
                lastReloadError = null;
                return false;
            }
            StoredKeys before = current().stored();
            StoredKeys after = store.load();
            install(after);
            KeySetDiff.between(before.keySet(), after.keySet(), "committed by another writer (CLI) at revision "
                    + after.keySet().revision()).forEach(t -> AUDIT.info("rotation {}", t));
            lastReloadError = null;
            return true;
        } catch (RuntimeException e) {
            // Keep serving the last good documents; a half-edited store must not take the issuer down.
            if (!e.getMessage().equals(lastReloadError)) {
                log.error("Key store reload failed, still serving revision {}: {}", current().revision(), e.getMessage());
            }
            lastReloadError = e.getMessage();
            return false;
        }
    }

    /** Serves a committed key set from now on. */
    public void install(StoredKeys stored) {
        Snapshot previous = current.get();
        if (previous != null && previous.revision() == stored.keySet().revision()) {
            return;
        }
        PublishedDocuments docs = PublishedDocuments.render(settings.issuer(), stored.keySet().published());
        current.set(new Snapshot(stored, docs));
        log.info("Serving {} key(s) at revision {}, active kid {}", stored.keySet().keys().size(),
                stored.keySet().revision(), stored.keySet().active().map(k -> k.kid() + " (" + k.key().algorithm() + ")")
                        .orElse("none"));
    }
}
