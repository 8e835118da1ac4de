package io.kubeoidc.service.signer;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The caller gets a generic status; the reason goes to the log (never the claims). */
final class GrpcErrors {
    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    static StatusRuntimeException of(String api, SignerCore.SignRejected e) {
        if (e.callerError()) {
            log.warn("{} ({})", e.getMessage(), api);
            return Status.INVALID_ARGUMENT.withDescription("invalid claims").asRuntimeException();
        }
        log.error("{} ({})", e.getMessage(), api);
        return Status.UNAVAILABLE.withDescription("signer unavailable").asRuntimeException();
    }
}
