package io.kubeoidc.service.keys;

import io.kubeoidc.documents.PublishedDocuments;
import io.kubeoidc.keyset.FirstKey;
import io.kubeoidc.keyset.KeySetChange;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.StaleKeySetException;
import io.kubeoidc.store.StoredKeys;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's view of the key store: the loaded keys and the documents pre-rendered from them.
 * Readers get an immutable snapshot; a new one is built only when the store's revision changes.
 */
public class IssuerKeys {
    private static final Logger log = LoggerFactory.getLogger(IssuerKeys.class);

    /** One consistent pair of key set and the bytes rendered from it. */
    public record Snapshot(StoredKeys stored, PublishedDocuments documents) {}

    private final IssuerSettings settings;
    private final DirectoryKeyStore store;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    private volatile String lastReloadError;

    public IssuerKeys(IssuerSettings settings, DirectoryKeyStore store, Clock clock, SecureRandom random) {
        this.settings = settings;
        this.store = store;
        StoredKeys stored = store.load();
        var first = FirstKey.ifNeeded(stored.keySet(), settings.keySpec(), random, clock.instant());
        if (first.isPresent()) {
            KeySetChange change = first.get();
            try {
                stored = store.commit(stored.keySet().revision(), change.next(), change.newKeys());
                change.notes().forEach(n -> log.info("{} in {}", n, store.directory()));
            } catch (StaleKeySetException e) {
                stored = store.load(); // another process initialised the store meanwhile
            }
        }
        install(stored);
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
            if (store.storedRevision() == current().stored().keySet().revision()) {
                lastReloadError = null;
                return false;
            }
            install(store.load());
            lastReloadError = null;
            return true;
        } catch (RuntimeException e) {
            // Keep serving the last good documents; a half-edited store must not take the issuer down.
            if (!e.getMessage().equals(lastReloadError)) {
                log.error("Key store reload failed, still serving revision {}: {}",
                        current().stored().keySet().revision(), e.getMessage());
            }
            lastReloadError = e.getMessage();
            return false;
        }
    }

    private void install(StoredKeys stored) {
        PublishedDocuments docs = PublishedDocuments.render(settings.issuer(), stored.keySet().published());
        current.set(new Snapshot(stored, docs));
        log.info("Serving {} key(s) at revision {}, active kid {}", stored.keySet().keys().size(),
                stored.keySet().revision(), stored.keySet().active().map(k -> k.kid() + " (" + k.key().algorithm() + ")")
                        .orElse("none"));
    }
}
