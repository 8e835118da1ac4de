package io.kubeoidc.service.web;

import io.kubeoidc.service.config.HttpLimits;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The public port, on Netty: it serves two pre-rendered documents and nothing else, so it needs none of a
 * servlet stack (a third of the throughput of this listener, docs/benchmarks.md). Started before the
 * service reports ready, stopped after it stops being ready.
 */
public final class DocumentServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(DocumentServer.class);
    /** Longest request line and header block; documents are fetched with short URLs. */
    static final int MAX_LINE = 4096;
    static final int MAX_HEADERS = 8192;

    private final InetSocketAddress address;
    private final DocumentRequestHandler handler;
    private final ConnectionLimits connections;
    private final long requestReadTimeoutNanos;
    private final Counter requestReadTimeouts;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel channel;

    DocumentServer(InetSocketAddress address, DocumentRequestHandler handler, HttpLimits limits, MeterRegistry registry) {
        this.address = address;
        this.handler = handler;
        this.connections = new ConnectionLimits(limits.maxConnections(), limits.maxConnectionsPerClient(), registry);
        this.requestReadTimeoutNanos = limits.requestReadTimeout().toNanos();
        this.requestReadTimeouts = Counter.builder("issuer.http.request.read.timeouts")
                .description("Public-port connections closed because a request did not arrive whole in time")
                .register(registry);
    }

    @Override
    public synchronized void start() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            channel = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (!connections.admit(ch)) {
                                ch.close();
                                return;
                            }
                            RequestDeadline deadline = new RequestDeadline(requestReadTimeoutNanos, requestReadTimeouts);
                            ch.pipeline()
                                    .addLast(deadline.bytesIn())
                                    .addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS))
                                    .addLast(new HttpServerCodec(MAX_LINE, MAX_HEADERS, 8192))
                                    .addLast(deadline.requestsIn())
                                    .addLast(handler);
                        }
                    }).bind(address).sync().channel();
        } catch (Exception e) {
            stop();
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new InvalidConfigurationException("server.port " + address.getPort() + " is already in use ("
                        + e.getMessage() + ")", "Stop what listens there, or set server.port to a free port.", e);
            }
            throw new IllegalStateException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        log.info("Serving the documents on {} (public port; at most {} connections, {} per client; a request must"
                + " arrive within {} ms)", channel.localAddress(), connections.max(), connections.perClient(),
                TimeUnit.NANOSECONDS.toMillis(requestReadTimeoutNanos));
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public synchronized void stop() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
            channel = null;
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            boss = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return channel != null;
    }
}
