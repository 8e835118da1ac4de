package io.kubeoidc.service.signer;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.kubeoidc.externaljwt.v1.ExternalJWTSignerGrpc;
import io.kubeoidc.externaljwt.v1.FetchKeysRequest;
import io.kubeoidc.externaljwt.v1.FetchKeysResponse;
import io.kubeoidc.externaljwt.v1.Key;
import io.kubeoidc.externaljwt.v1.MetadataRequest;
import io.kubeoidc.externaljwt.v1.MetadataResponse;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.externaljwt.v1.SignJWTResponse;
import io.kubeoidc.signer.SignedParts;
import java.io.InputStream;
import java.util.function.BiConsumer;

/**
 * v1.ExternalJWTSigner (kube-apiserver 1.34+): maps protobuf to {@link SignerCore}. v1alpha1 (1.32,
 * 1.33) has the same messages and field numbers, so the same handlers serve it under its own service
 * name ({@link #definition}). A request body that is not the method's protobuf message gets
 * INVALID_ARGUMENT saying so, where grpc-java alone answers UNKNOWN and logs a stack trace.
 */
final class V1SignerService {
    private final SignerCore core;
    private final String api;

    /** @param api the API version this instance answers as ("v1", "v1alpha1"), for logs, metrics and its service name */
    V1SignerService(SignerCore core, String api) {
        this.core = core;
        this.api = api;
    }

    /** The three methods under this API version's service name, e.g. "v1alpha1.ExternalJWTSigner". */
    ServerServiceDefinition definition() {
        String service = api + ".ExternalJWTSigner";
        return ServerServiceDefinition.builder(service)
                .addMethod(method(service, ExternalJWTSignerGrpc.getSignMethod(), this::sign))
                .addMethod(method(service, ExternalJWTSignerGrpc.getFetchKeysMethod(), this::fetchKeys))
                .addMethod(method(service, ExternalJWTSignerGrpc.getMetadataMethod(), this::metadata))
                .build();
    }

    /** A parsed request, or why its bytes are not one. */
    private record Request<Q>(Q message, String malformed) {}

    private <Q, R> ServerMethodDefinition<Request<Q>, R> method(String service, MethodDescriptor<Q, R> generated,
                                                                BiConsumer<Q, StreamObserver<R>> handler) {
        MethodDescriptor.Marshaller<Q> proto = generated.getRequestMarshaller();
        String type = api + "." + ((MethodDescriptor.PrototypeMarshaller<Q>) proto).getMessagePrototype().getClass()
                .getSimpleName();
        MethodDescriptor.Marshaller<Request<Q>> lenient = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(Request<Q> request) {
                return proto.stream(request.message());
            }

            @Override
            public Request<Q> parse(InputStream in) {
                try {
                    return new Request<>(proto.parse(in), null);
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != Status.Code.INTERNAL) {
                        throw e; // a size limit met while reading, for instance: grpc-java's answer is right
                    }
                    String why = (e.getCause() != null ? e.getCause() : e).getMessage();
                    int sentence = why.indexOf(". "); // protobuf's first sentence says it; the rest speculates
                    return new Request<>(null, "request is not a valid " + type + ": "
                            + (sentence < 0 ? why : why.substring(0, sentence + 1)));
                }
            }
        };
        MethodDescriptor<Request<Q>, R> descriptor = generated.toBuilder(lenient, generated.getResponseMarshaller())
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, generated.getBareMethodName()))
                .setSchemaDescriptor(service.equals(generated.getServiceName()) ? generated.getSchemaDescriptor() : null)
                .build();
        return ServerMethodDefinition.create(descriptor, ServerCalls.asyncUnaryCall((request, response) -> {
            if (request.malformed() != null) {
                response.onError(GrpcErrors.malformed(api, request.malformed()));
            } else {
                handler.accept(request.message(), response);
            }
        }));
    }

    void sign(SignJWTRequest request, StreamObserver<SignJWTResponse> response) {
        try {
            SignedParts parts = core.sign(request.getClaims());
            response.onNext(SignJWTResponse.newBuilder().setHeader(parts.header()).setSignature(parts.signature()).build());
            response.onCompleted();
        } catch (SignerCore.SignRejected e) {
            response.onError(GrpcErrors.of(api, e));
        }
    }

    void fetchKeys(FetchKeysRequest request, StreamObserver<FetchKeysResponse> response) {
        try {
            SignerCore.KeyList list = core.fetchKeys(api);
            var b = FetchKeysResponse.newBuilder().setRefreshHintSeconds(list.refreshHintSeconds())
                    .setDataTimestamp(Timestamp.newBuilder().setSeconds(list.dataTimestamp().getEpochSecond())
                            .setNanos(list.dataTimestamp().getNano()));
            for (SignerCore.PublishedKey k : list.keys()) {
                b.addKeys(Key.newBuilder().setKeyId(k.kid()).setKey(ByteString.copyFrom(k.spkiDer()))
                        .setExcludeFromOidcDiscovery(k.excludeFromDiscovery()));
            }
            response.onNext(b.build());
            response.onCompleted();
        } catch (SignerCore.SignRejected e) {
            response.onError(GrpcErrors.of(api, e));
        }
    }

    void metadata(MetadataRequest request, StreamObserver<MetadataResponse> response) {
        response.onNext(MetadataResponse.newBuilder().setMaxTokenExpirationSeconds(core.maxTokenExpirationSeconds()).build());
        response.onCompleted();
    }

}
