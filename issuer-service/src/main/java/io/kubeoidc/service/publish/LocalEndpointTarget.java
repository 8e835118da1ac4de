package io.kubeoidc.service.publish;

import io.kubeoidc.service.keys.IssuerKeys;
import java.util.Set;
import org.springframework.stereotype.Component;

/** The service's own HTTP endpoint: it serves exactly the installed snapshot. */
@Component
class LocalEndpointTarget implements PublicationTarget {
    private final IssuerKeys keys;

    LocalEndpointTarget(IssuerKeys keys) {
        this.keys = keys;
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public Set<String> confirmedKids() {
        return Set.copyOf(keys.current().stored().keySet().kids());
    }
}
