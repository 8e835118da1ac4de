package io.kubeoidc.service.keys;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Publisher mode: picks up a changed keys file (a ConfigMap update) without a restart. */
@Component
@ConditionalOnExpression("'${issuer.publisher.keys-file:}'.trim() != ''")
class PublishedKeysWatcher {
    private final IssuerKeys keys;

    PublishedKeysWatcher(IssuerKeys keys) {
        this.keys = keys;
    }

    @Scheduled(fixedDelayString = "${issuer.rotation.check-interval:5s}")
    void poll() {
        keys.reloadIfChanged();
    }
}
