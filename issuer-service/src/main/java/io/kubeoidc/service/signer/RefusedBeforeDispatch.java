package io.kubeoidc.service.signer;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WARN line for a request grpc-java refuses before any of our code runs (a message over
 * maxInboundMessageSize: RESOURCE_EXHAUSTED). grpc-java's own report of it, a WARN with a stack trace from
 * io.grpc.netty.NettyServerStream, is turned off in application.properties.
 */
final class RefusedBeforeDispatch extends ServerStreamTracer.Factory {
    private static final Logger log = LoggerFactory.getLogger(RefusedBeforeDispatch.class);

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return new ServerStreamTracer() {
            @Override
            public void streamClosed(Status status) {
                if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    log.warn("Request refused: {} ({})", status.getDescription(), fullMethodName);
                }
            }
        };
    }
}
