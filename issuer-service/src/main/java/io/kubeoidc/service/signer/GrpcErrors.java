package io.kubeoidc.service.signer;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A refusal of the caller's own request says why (the reason never quotes the claims), so kube-apiserver's
 * log names the problem; an internal failure gets a generic status and its reason goes only to our log.
 */
final class GrpcErrors {
    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    static StatusRuntimeException of(String api, SignerCore.SignRejected e) {
        if (e.callerError()) {
            log.warn("{} ({})", e.getMessage(), api);
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
        log.error("{} ({})", e.getMessage(), api);
        return Status.UNAVAILABLE.withDescription("signer unavailable").asRuntimeException();
    }

    /** A request body that is not the method's protobuf message. */
    static StatusRuntimeException malformed(String api, String reason) {
        log.warn("{} ({})", reason, api);
        return Status.INVALID_ARGUMENT.withDescription(reason).asRuntimeException();
    }
}
