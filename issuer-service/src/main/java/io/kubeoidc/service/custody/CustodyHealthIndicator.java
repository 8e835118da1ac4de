package io.kubeoidc.service.custody;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * health/custody, in the readiness group: where the private keys live, DOWN with the reason while the custody
 * cannot sign (a token unplugged, a session lost), and the orphans the last sweep found. Never a PIN.
 */
public class CustodyHealthIndicator extends AbstractHealthIndicator {
    private final CustodyMonitor monitor;

    public CustodyHealthIndicator(CustodyMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetail("custody", monitor.custody().name()).withDetail("location", monitor.custody().location());
        var orphans = monitor.orphans().all();
        if (!orphans.isEmpty()) {
            builder.withDetail("orphans", orphans);
        }
        monitor.unavailable().ifPresentOrElse(reason -> builder.down().withDetail("reason", reason), builder::up);
    }
}
