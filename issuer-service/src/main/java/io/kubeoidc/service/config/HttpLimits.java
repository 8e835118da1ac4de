package io.kubeoidc.service.config;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Validated limits of the public port ({@code issuer.http.*}). Every connection holds a file descriptor, and
 * the signer's socket, the management port and the key store need theirs: the connection cap stays at most
 * half the process's descriptor limit, so no amount of public-port traffic can starve them.
 *
 * @param requestReadTimeout      how long one whole request may take to arrive
 * @param maxConnections          open public-port connections at once
 * @param maxConnectionsPerClient open public-port connections at once from one client address
 */
public record HttpLimits(Duration requestReadTimeout, int maxConnections, int maxConnectionsPerClient) {
    static final int DEFAULT_MAX_CONNECTIONS = 1024;
    static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;

    static HttpLimits from(IssuerProperties.Http p) {
        return from(p, descriptorLimit());
    }

    /** @param descriptorLimit the process's file descriptor limit, or -1 where the platform does not say */
    static HttpLimits from(IssuerProperties.Http p, long descriptorLimit) {
        Duration timeout = p.requestReadTimeout();
        if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new InvalidConfigurationException("issuer.http.request-read-timeout must be at least 1s (got "
                    + timeout + ")", "It is how long a client may take to send one request; the default is 10s.", null);
        }
        long budget = descriptorLimit > 0 ? descriptorLimit / 2 : Integer.MAX_VALUE;
        int max;
        if (p.maxConnections() == null) {
            max = (int) Math.max(1, Math.min(DEFAULT_MAX_CONNECTIONS, budget));
        } else {
            max = p.maxConnections();
            if (max < 1) {
                throw new InvalidConfigurationException("issuer.http.max-connections must be at least 1 (got " + max
                        + ")", "Leave it unset for the default: 1024, or half the file descriptor limit.", null);
            }
            if (max > budget) {
                throw new InvalidConfigurationException("issuer.http.max-connections " + max + " is over half the"
                        + " process's file descriptor limit (" + descriptorLimit + "): a flood of public-port"
                        + " connections could then leave the signer socket and the management port without descriptors",
                        "Lower it to at most " + budget + ", or raise the limit (ulimit -n, systemd LimitNOFILE=).", null);
            }
        }
        int perClient;
        if (p.maxConnectionsPerClient() == null) {
            perClient = Math.min(DEFAULT_MAX_CONNECTIONS_PER_CLIENT, max);
        } else {
            perClient = p.maxConnectionsPerClient();
            if (perClient < 1 || perClient > max) {
                throw new InvalidConfigurationException("issuer.http.max-connections-per-client must be between 1 and"
                        + " issuer.http.max-connections (" + max + "); got " + perClient,
                        "Behind a proxy or NAT every client shares its address: raise both together.", null);
            }
        }
        return new HttpLimits(timeout, max, perClient);
    }

    /** The soft limit on open files (which the JVM raises to the hard limit at start), or -1 if unknown. */
    static long descriptorLimit() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : -1;
    }
}
