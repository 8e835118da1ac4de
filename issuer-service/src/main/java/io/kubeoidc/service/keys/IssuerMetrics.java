package io.kubeoidc.service.keys;

import io.kubeoidc.keyset.KeyState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/** Gauges over the served snapshot; they read the current state, so they never go stale. */
@Component
class IssuerMetrics implements MeterBinder {
    private final IssuerKeys keys;

    IssuerMetrics(IssuerKeys keys) {
        this.keys = keys;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("issuer.keys.published", keys, k -> k.current().stored().keySet().keys().size())
                .description("Keys in the published JWKS").register(registry);
        for (KeyState state : KeyState.values()) {
            Gauge.builder("issuer.keys.state", keys, k -> k.current().stored().keySet().keys().stream()
                            .filter(key -> key.state() == state).count())
                    .tag("state", state.name()).description("Published keys in each state (the key timeline)")
                    .register(registry);
        }
        Gauge.builder("issuer.rotation.max.keys", keys, k -> k.settings().policy().maxKeys())
                .description("issuer.rotation.max-keys: the cap on published keys").register(registry);
        Gauge.builder("issuer.keyset.revision", keys, k -> k.current().stored().keySet().revision())
                .description("Revision of the key set being served").register(registry);
        Gauge.builder("issuer.keystore.reload.failing", keys, k -> k.lastReloadError() == null ? 0 : 1)
                .description("1 while the key store cannot be re-read (the last good set is served)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("issuer.keyset.rollbacks.refused", keys,
                        k -> k.rollbacks().count())
                .description("Key sets refused because their revision was below one already served (rollbacks)")
                .register(registry);
        Gauge.builder("issuer.keyset.rollback.refusing", keys, k -> k.rollbacks().refusing() == null ? 0 : 1)
                .description("1 while the store holds a rolled-back key set this replica refuses to serve")
                .register(registry);
    }
}
