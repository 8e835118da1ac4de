package io.kubeoidc.service.signer;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
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

/**
 * v1.ExternalJWTSigner (kube-apiserver 1.34+): maps protobuf to {@link SignerCore}. v1alpha1 (1.32,
 * 1.33) has the same messages and field numbers, so the same handlers serve it under its own service
 * name ({@link #bindAs}).
 */
final class V1SignerService extends ExternalJWTSignerGrpc.ExternalJWTSignerImplBase {
    private final SignerCore core;
    private final String api;

    /** @param api the API version this instance answers as, for logs and metrics */
    V1SignerService(SignerCore core, String api) {
        this.core = core;
        this.api = api;
    }

    /** This service under another package's service name, e.g. "v1alpha1.ExternalJWTSigner". */
    ServerServiceDefinition bindAs(String serviceName) {
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(serviceName);
        for (ServerMethodDefinition<?, ?> m : bindService().getMethods()) {
            addRenamed(b, m, serviceName);
        }
        return b.build();
    }

    private static <Q, R> void addRenamed(ServerServiceDefinition.Builder b, ServerMethodDefinition<Q, R> m,
                                          String serviceName) {
        MethodDescriptor<Q, R> d = m.getMethodDescriptor().toBuilder().setSchemaDescriptor(null)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(serviceName,
                        m.getMethodDescriptor().getBareMethodName())).build();
        b.addMethod(d, m.getServerCallHandler());
    }

    @Override
    public void sign(SignJWTRequest request, StreamObserver<SignJWTResponse> response) {
        try {
            SignedParts parts = core.sign(request.getClaims());
            response.onNext(SignJWTResponse.newBuilder().setHeader(parts.header()).setSignature(parts.signature()).build());
            response.onCompleted();
        } catch (SignerCore.SignRejected e) {
            response.onError(GrpcErrors.of(api, e));
        }
    }

    @Override
    public void fetchKeys(FetchKeysRequest request, StreamObserver<FetchKeysResponse> response) {
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

    @Override
    public void metadata(MetadataRequest request, StreamObserver<MetadataResponse> response) {
        response.onNext(MetadataResponse.newBuilder().setMaxTokenExpirationSeconds(core.maxTokenExpirationSeconds()).build());
        response.onCompleted();
    }

}
