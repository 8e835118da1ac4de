package io.kubeoidc.service.keys;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** health/issuer: what is being served, and whether the store could be re-read. */
@Component("issuer")
class IssuerHealthIndicator extends AbstractHealthIndicator {
    private final IssuerKeys keys;

    IssuerHealthIndicator(IssuerKeys keys) {
        this.keys = keys;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        var snapshot = keys.current();
        var set = snapshot.stored().keySet();
        builder.up()
                .withDetail("issuer", keys.settings().issuer().issuer())
                .withDetail("developmentIssuer", keys.settings().developmentIssuer())
                .withDetail("activeKid", set.active().map(k -> k.kid()).orElse("none"))
                .withDetail("publishedKeys", set.keys().size())
                .withDetail("storeRevision", set.revision());
        String error = keys.lastReloadError();
        if (error != null) {
            builder.withDetail("storeReloadError", error);
        }
    }
}
