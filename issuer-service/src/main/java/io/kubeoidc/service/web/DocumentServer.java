package io.kubeoidc.service.web;

import io.kubeoidc.service.config.InvalidConfigurationException;
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
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel channel;

    DocumentServer(InetSocketAddress address, DocumentRequestHandler handler) {
        this.address = address;
        this.handler = handler;
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
                            ch.pipeline()
                                    .addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS))
                                    .addLast(new HttpServerCodec(MAX_LINE, MAX_HEADERS, 8192))
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
        log.info("Serving the documents on {} (public port)", channel.localAddress());
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
