package io.kubeoidc.service.keys;

import io.kubeoidc.service.ha.ReplicaCoordinator;
import io.kubeoidc.service.rotation.RotationService;
import io.kubeoidc.service.publish.MirrorService;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** health/issuer: what is being served, where rotation stands, and whether the store could be re-read. */
@Component("issuer")
class IssuerHealthIndicator extends AbstractHealthIndicator {
    private final IssuerKeys keys;
    private final ObjectProvider<RotationService> rotation;
    private final ObjectProvider<ReplicaCoordinator> replicas;
    private final ObjectProvider<MirrorService> mirrors;

    IssuerHealthIndicator(IssuerKeys keys, ObjectProvider<RotationService> rotation,
                          ObjectProvider<ReplicaCoordinator> replicas, ObjectProvider<MirrorService> mirrors) {
        this.keys = keys;
        this.rotation = rotation;
        this.replicas = replicas;
        this.mirrors = mirrors;
    }

    /** Each publication target (the rotation gates): verified, or why not, including an overdue check. */
    private Map<String, Object> targets() {
        var targets = new LinkedHashMap<String, Object>();
        mirrors.ifAvailable(service -> service.mirrors().forEach(m -> {
            var s = service.state(m);
            var t = new LinkedHashMap<String, Object>();
            t.put("issuer", service.issuer(m));
            t.put("verified", s.verified());
            if (s.lastError() != null) {
                t.put("error", s.lastError());
            }
            if (s.lastVerified() != null) {
                t.put("lastVerified", s.lastVerified().toString());
            }
            targets.put(m.name(), t);
        }));
        return targets;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        var set = keys.current().stored().keySet();
        RotationService service = rotation.getIfAvailable();
        var r = new LinkedHashMap<String, Object>();
        if (service == null) {
            r.put("mode", "publisher: keys are managed elsewhere, nothing rotates here");
            builder.up().withDetail("issuer", keys.settings().issuer().issuer())
                    .withDetail("publishedKeys", set.keys().size()).withDetail("rotation", r);
            if (keys.lastReloadError() != null) {
                builder.withDetail("storeReloadError", keys.lastReloadError());
            }
            return;
        }
        var status = service.status();
        r.put("onSchedule", !status.overdue());
        if (status.overdue()) {
            r.put("overdueBy", status.overdueBy().toString());
        }
        if (status.waitingFor() != null) {
            r.put("waitingFor", status.waitingFor());
        }
        if (status.nextTransitionAt() != null) {
            r.put("nextTransitionAt", status.nextTransitionAt().toString());
        }
        if (status.nextTransition() != null) {
            r.put("nextTransition", status.nextTransition());
        }
        builder.up()
                .withDetail("issuer", keys.settings().issuer().issuer())
                .withDetail("developmentIssuer", keys.settings().developmentIssuer())
                .withDetail("activeKid", set.active().map(k -> k.kid()).orElse("none"))
                .withDetail("publishedKeys", set.keys().size())
                .withDetail("storeRevision", set.revision())
                .withDetail("rotation", r)
                .withDetail("publicationTargets", targets());
        var additional = keys.settings().issuers().additional();
        if (!additional.isEmpty()) {
            builder.withDetail("additionalIssuers", additional.stream().map(i -> i.issuer()).toList());
        }
        String error = keys.lastReloadError();
        if (error != null) {
            builder.withDetail("storeReloadError", error);
        }
        String rollback = keys.rollbacks().refusing();
        if (rollback != null) {
            builder.withDetail("rollbackRefused", rollback);
        }
        // Degraded stays UP: the replica serves and signs (kube-apiserver needs it); the detail says why.
        replicas.ifAvailable(c -> {
            builder.withDetail("ha", c.details());
            if (c.localCopyFailing()) {
                builder.down(); // serving, but a full control-plane restart would find this replica with nothing
            }
        });
    }
}
