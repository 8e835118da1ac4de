package io.kubeoidc.service.it;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kubeoidc.externaljwt.v1.ExternalJWTSignerGrpc;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A grpc-java client on the signer's Unix socket, as kube-apiserver 1.34+ dials it (v1, authority localhost). */
final class SignerClient implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final ManagedChannel channel;
    final ExternalJWTSignerGrpc.ExternalJWTSignerBlockingStub v1;

    SignerClient(Path socket) {
        channel = NettyChannelBuilder.forAddress(UnixDomainSocketAddress.of(socket))
                .channelType(NioDomainSocketChannel.class).eventLoopGroup(group).overrideAuthority("localhost")
                .usePlaintext().build();
        v1 = ExternalJWTSignerGrpc.newBlockingStub(channel);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
}
