package io.kubeoidc.service.keys;

import io.kubeoidc.documents.PublishedDocuments;
import io.kubeoidc.rotation.KeySetDiff;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.store.KeySetSource;
import io.kubeoidc.store.StoredKeys;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the service serves: the loaded keys and the documents pre-rendered from them. Readers get
 * an immutable snapshot; a new one is built only when the source's version changes.
 */
public class IssuerKeys {
    private static final Logger log = LoggerFactory.getLogger(IssuerKeys.class);
    /** Audit trail: one line per transition (kid, from, to, why); never key bytes. */
    public static final Logger AUDIT = LoggerFactory.getLogger("io.kubeoidc.audit");

    /**
     * One consistent pair of key set and the bytes rendered from it.
     *
     * @param documents the signing issuer's documents (issuer.url)
     * @param version   the source's version it was loaded at (changes with every change of the keys)
     * @param byIssuer  every issuer's documents over the same keys, the signing issuer's first
     */
    public record Snapshot(StoredKeys stored, PublishedDocuments documents, String version,
                           Map<String, PublishedDocuments> byIssuer) {
        public long revision() {
            return stored.keySet().revision();
        }

        /** One issuer's documents; the issuer is one of the configured ones. */
        public PublishedDocuments documents(String issuer) {
            PublishedDocuments docs = byIssuer.get(issuer);
            if (docs == null) {
                throw new IllegalArgumentException("not a configured issuer: " + issuer);
            }
            return docs;
        }
    }

    private final IssuerSettings settings;
    private final KeySetSource source;
    private final AtomicReference<Snapshot> current = new AtomicReference<>();
    private volatile String lastReloadError;
    private final KeySetRollbacks rollbacks = new KeySetRollbacks();

    private final java.util.function.BiConsumer<StoredKeys, String> onInstall;

    public IssuerKeys(IssuerSettings settings, KeySetSource source) {
        this(settings, source, (keys, version) -> { });
    }

    /** @param onInstall told about every set this starts serving (the HA replica keeps its local copy with it) */
    public IssuerKeys(IssuerSettings settings, KeySetSource source, java.util.function.BiConsumer<StoredKeys, String> onInstall) {
        this.settings = settings;
        this.source = source;
        this.onInstall = onInstall;
        String version = source.version();
        install(source.load(), version);
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

    /** Rolled-back key sets this replica refused (and is refusing now). */
    public KeySetRollbacks rollbacks() {
        return rollbacks;
    }

    /** Picks up changes written by the CLI (or another writer); cheap when nothing changed. */
    public synchronized boolean reloadIfChanged() {
        try {
            String version = source.version();
            if (version.equals(current().version())) {
                lastReloadError = null;
                return false;
            }
            StoredKeys before = current().stored();
            StoredKeys after = source.load();
            install(after, version);
            // The CLI records its command and the operator's reason with the commit; the leader's steps carry none.
            String why = after.keySet().change() != null
                    ? after.keySet().change() + " (committed by the CLI at revision " + after.keySet().revision() + ")"
                    : "committed by another writer (the leader, or a CLI that records no command) at revision " + after.keySet().revision();
            KeySetDiff.between(before.keySet(), after.keySet(), why).forEach(t -> AUDIT.info("rotation {}", t));
            lastReloadError = null;
            return true;
        } catch (io.kubeoidc.store.RolledBackKeySetException e) {
            rollbacks.refused(e);
            return failed(e);
        } catch (RuntimeException e) {
            return failed(e);
        }
    }

    private boolean failed(RuntimeException e) {
        // Keep serving the last good documents; a half-edited store must not take the issuer down.
        if (!e.getMessage().equals(lastReloadError)) {
            log.error("Key store reload failed, still serving revision {}: {}", current().revision(), e.getMessage());
        }
        lastReloadError = e.getMessage();
        return false;
    }

    /** Serves a key set the store just committed. */
    public void install(StoredKeys committed) {
        install(committed, source.versionOf(committed.keySet()));
    }

    private void install(StoredKeys stored, String version) {
        Snapshot previous = current.get();
        if (previous != null && previous.version().equals(version)) {
            return;
        }
        Map<String, PublishedDocuments> byIssuer = settings.issuers().render(stored.keySet().published());
        current.set(new Snapshot(stored, byIssuer.get(settings.issuer().issuer()), version, Map.copyOf(byIssuer)));
        rollbacks.cleared();
        onInstall.accept(stored, version);
        log.info("Serving {} key(s) at revision {}, active kid {}", stored.keySet().keys().size(),
                stored.keySet().revision(), stored.keySet().active().map(k -> k.kid() + " (" + k.key().algorithm() + ")")
                        .orElse("none"));
    }
}
