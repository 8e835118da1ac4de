package io.kubeoidc.service.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The public port's connection caps: at most {@code max} open at once, {@code perClient} from one address.
 * A connection over a cap is closed as soon as it is accepted, without a response, and counted in
 * issuer_http_connections_refused_total{reason}. Each open connection holds a file descriptor, so the cap
 * (at most half the descriptor limit, HttpLimits) keeps the signer socket and the management port working
 * however many connections arrive.
 */
final class ConnectionLimits {
    private final int max;
    private final int perClient;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> byClient = new ConcurrentHashMap<>();
    private final Counter refusedTotal;
    private final Counter refusedPerClient;

    ConnectionLimits(int max, int perClient, MeterRegistry registry) {
        this.max = max;
        this.perClient = perClient;
        this.refusedTotal = refused("max-connections", registry);
        this.refusedPerClient = refused("max-connections-per-client", registry);
        Gauge.builder("issuer.http.connections", open, AtomicInteger::get)
                .description("Open connections on the public port").register(registry);
    }

    private static Counter refused(String reason, MeterRegistry registry) {
        return Counter.builder("issuer.http.connections.refused").tag("reason", reason)
                .description("Connections to the public port closed on arrival because a connection cap was reached")
                .register(registry);
    }

    int max() {
        return max;
    }

    int perClient() {
        return perClient;
    }

    /** Counts a new connection in, or refuses it; an admitted one is counted out when it closes. */
    boolean admit(Channel channel) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            refusedTotal.increment();
            return false;
        }
        InetAddress client = ((InetSocketAddress) channel.remoteAddress()).getAddress();
        boolean[] admitted = {false};
        byClient.compute(client, (address, n) -> {
            int count = n == null ? 0 : n;
            if (count >= perClient) {
                return n;
            }
            admitted[0] = true;
            return count + 1;
        });
        if (!admitted[0]) {
            open.decrementAndGet();
            refusedPerClient.increment();
            return false;
        }
        channel.closeFuture().addListener(f -> {
            byClient.computeIfPresent(client, (address, n) -> n == 1 ? null : n - 1);
            open.decrementAndGet();
        });
        return true;
    }
}
