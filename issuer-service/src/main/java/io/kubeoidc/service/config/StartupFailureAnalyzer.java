package io.kubeoidc.service.config;

import io.kubeoidc.files.UnsafeDirectoryException;
import io.kubeoidc.store.KeyStoreException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/** Turns our configuration and key-store errors into Boot's short "APPLICATION FAILED TO START" report. */
public class StartupFailureAnalyzer implements FailureAnalyzer {
    @Override
    public FailureAnalysis analyze(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnsafeDirectoryException e) { // often wrapped in a KeyStoreException: its fix is specific
                return new FailureAnalysis(e.problem(), "Fix: " + e.fix() + ". Nothing was read from or written to it.", e);
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InvalidConfigurationException e) {
                return new FailureAnalysis(e.getMessage(), e.action(), e);
            }
            if (t instanceof io.kubeoidc.pem.KeyFileException e) {
                return new FailureAnalysis(e.getMessage(), "Fix the key file; nothing was published.", e);
            }
            if (t instanceof io.kubeoidc.custody.KeyCustodyException e) {
                return new FailureAnalysis(e.getMessage(), "Check the key custody (issuer.keys.custody, issuer.keys.pkcs11.*;"
                        + " docs/keys.md); nothing was changed on the token or in the key store.", e);
            }
            if (t instanceof KeyStoreException e) {
                return new FailureAnalysis(e.getMessage(), "Check the key store (issuer.keys.directory, or issuer.keys.etcd.* with"
                        + " issuer.keys.store=etcd); nothing was changed.", e);
            }
        }
        return null;
    }
}
