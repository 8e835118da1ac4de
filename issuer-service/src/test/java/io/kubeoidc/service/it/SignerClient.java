package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kubeoidc.externaljwt.v1.ExternalJWTSignerGrpc;
import io.kubeoidc.externaljwt.v1.FetchKeysRequest;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

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

    /**
     * Signs {@code claims} (base64url) on {@code socket} and asserts the token verifies with the RSA key FetchKeys
     * returns for its kid (DER SubjectPublicKeyInfo, parsed by the JDK).
     *
     * @param perCall applied to the stub before each call, e.g. a deadline
     */
    static void assertSignVerifies(Path socket, String claims,
            UnaryOperator<ExternalJWTSignerGrpc.ExternalJWTSignerBlockingStub> perCall) throws Exception {
        try (SignerClient client = new SignerClient(socket)) {
            var keys = perCall.apply(client.v1).fetchKeys(FetchKeysRequest.getDefaultInstance());
            var signed = perCall.apply(client.v1).sign(SignJWTRequest.newBuilder().setClaims(claims).build());
            JWSObject jws = JWSObject.parse(signed.getHeader() + "." + claims + "." + signed.getSignature());
            var key = keys.getKeysList().stream().filter(k -> k.getKeyId().equals(jws.getHeader().getKeyID()))
                    .findFirst().orElseThrow();
            RSAPublicKey publicKey = (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new X509EncodedKeySpec(key.getKey().toByteArray()));
            assertThat(jws.verify(new RSASSAVerifier(publicKey))).isTrue();
        }
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
}
