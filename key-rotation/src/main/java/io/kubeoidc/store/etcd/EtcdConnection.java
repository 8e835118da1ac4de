package io.kubeoidc.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * One jetcd client and the rule for every call on it: bounded by the configured timeout, and any
 * failure turned into {@link EtcdUnavailableException} naming the endpoints.
 */
public final class EtcdConnection implements AutoCloseable {
    private final EtcdSettings settings;
    private final Client client;

    public EtcdConnection(EtcdSettings settings) {
        this.settings = settings;
        ClientBuilder b = Client.builder()
                .endpoints(settings.endpoints().toArray(java.net.URI[]::new))
                .connectTimeout(settings.timeout())
                // Retries must not outlive our own deadline: a call that cannot finish in time counts as down.
                .retryMaxDuration(settings.timeout())
                .keepaliveTime(java.time.Duration.ofSeconds(5))
                .keepaliveTimeout(settings.timeout());
        if (settings.user() != null) {
            b.user(bytes(settings.user())).password(bytes(settings.password()));
        }
        if (settings.tls()) {
            try {
                var ssl = GrpcSslContexts.forClient();
                if (settings.caFile() != null) {
                    ssl.trustManager(settings.caFile().toFile());
                }
                if (settings.certFile() != null) {
                    ssl.keyManager(settings.certFile().toFile(), settings.keyFile().toFile());
                }
                b.sslContext(ssl.build());
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("etcd TLS files (CA " + settings.caFile() + ", certificate "
                        + settings.certFile() + ", key " + settings.keyFile() + ") are unusable: " + e.getMessage(), e);
            }
        }
        this.client = b.build();
    }

    public Client client() {
        return client;
    }

    public EtcdSettings settings() {
        return settings;
    }

    public String describe() {
        return "etcd " + settings.endpoints() + " prefix " + settings.prefix();
    }

    public ByteSequence key(String suffix) {
        return bytes(settings.prefix() + suffix);
    }

    /**
     * Runs one call within the timeout. A call caught on a member that just died (a stream that hangs, a
     * connection reset) is retried once, on whichever member the client picks next, within the same deadline:
     * losing one member of three must not make a replica think etcd is gone.
     */
    public <T> T call(String what, Supplier<CompletableFuture<T>> call) {
        long timeout = settings.timeout().toNanos();
        long deadline = System.nanoTime() + timeout;
        Throwable last = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            long wait = attempt == 1 ? timeout / 2 : deadline - System.nanoTime();
            CompletableFuture<T> f = call.get();
            try {
                return f.get(Math.max(wait, 1), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                last = e;
            } catch (ExecutionException e) {
                last = e.getCause() == null ? e : e.getCause();
                if (!transient_(last)) {
                    break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdUnavailableException(describe() + ": " + what + " interrupted", e);
            }
        }
        if (last instanceof TimeoutException) {
            throw new EtcdUnavailableException(describe() + ": " + what + " got no answer within "
                    + settings.timeout().toMillis() + " ms (is a quorum of members up and reachable?)", last);
        }
        throw new EtcdUnavailableException(describe() + ": " + what + " failed: " + last.getMessage(), last);
    }

    /** Failures another member may not have: worth the second attempt. */
    private static boolean transient_(Throwable t) {
        if (t instanceof io.etcd.jetcd.common.exception.EtcdException e) {
            return switch (e.getErrorCode()) {
                case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, INTERNAL, ABORTED -> true;
                default -> false;
            };
        }
        return !(t instanceof IllegalArgumentException);
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        client.close();
    }
}
