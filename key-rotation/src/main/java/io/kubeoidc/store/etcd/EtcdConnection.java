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

    /** Runs one call within the timeout. */
    public <T> T call(String what, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> f = call.get();
        try {
            return f.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new EtcdUnavailableException(describe() + ": " + what + " got no answer within "
                    + settings.timeout().toMillis() + " ms (is a quorum of members up and reachable?)", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new EtcdUnavailableException(describe() + ": " + what + " failed: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EtcdUnavailableException(describe() + ": " + what + " interrupted", e);
        }
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        client.close();
    }
}
