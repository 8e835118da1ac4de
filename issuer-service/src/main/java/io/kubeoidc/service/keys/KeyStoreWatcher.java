package io.kubeoidc.service.keys;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Polls the store so that `keys import` run next to the service takes effect without a restart. */
@Component
class KeyStoreWatcher {
    private final IssuerKeys keys;

    KeyStoreWatcher(IssuerKeys keys) {
        this.keys = keys;
    }

    @Scheduled(fixedDelayString = "${issuer.keys.reload-interval:5s}", initialDelayString = "${issuer.keys.reload-interval:5s}")
    void poll() {
        keys.reloadIfChanged();
    }
}
