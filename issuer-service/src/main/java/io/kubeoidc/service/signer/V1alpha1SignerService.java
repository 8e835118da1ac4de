package io.kubeoidc.service.signer;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.stub.StreamObserver;
import io.kubeoidc.externaljwt.v1alpha1.ExternalJWTSignerGrpc;
import io.kubeoidc.externaljwt.v1alpha1.FetchKeysRequest;
import io.kubeoidc.externaljwt.v1alpha1.FetchKeysResponse;
import io.kubeoidc.externaljwt.v1alpha1.Key;
import io.kubeoidc.externaljwt.v1alpha1.MetadataRequest;
import io.kubeoidc.externaljwt.v1alpha1.MetadataResponse;
import io.kubeoidc.externaljwt.v1alpha1.SignJWTRequest;
import io.kubeoidc.externaljwt.v1alpha1.SignJWTResponse;
import io.kubeoidc.signer.SignedParts;

/** v1alpha1.ExternalJWTSigner (kube-apiserver 1.32 and 1.33): maps protobuf to {@link SignerCore}. */
final class V1alpha1SignerService extends ExternalJWTSignerGrpc.ExternalJWTSignerImplBase {
    private static final String API = "v1alpha1";
    private final SignerCore core;

    V1alpha1SignerService(SignerCore core) {
        this.core = core;
    }

    @Override
    public void sign(SignJWTRequest request, StreamObserver<SignJWTResponse> response) {
        try {
            SignedParts parts = core.sign(request.getClaims());
            response.onNext(SignJWTResponse.newBuilder().setHeader(parts.header()).setSignature(parts.signature()).build());
            response.onCompleted();
        } catch (SignerCore.SignRejected e) {
            response.onError(GrpcErrors.of(API, e));
        }
    }

    @Override
    public void fetchKeys(FetchKeysRequest request, StreamObserver<FetchKeysResponse> response) {
        try {
            SignerCore.KeyList list = core.fetchKeys(API);
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
            response.onError(GrpcErrors.of(API, e));
        }
    }

    @Override
    public void metadata(MetadataRequest request, StreamObserver<MetadataResponse> response) {
        response.onNext(MetadataResponse.newBuilder().setMaxTokenExpirationSeconds(core.maxTokenExpirationSeconds()).build());
        response.onCompleted();
    }

}
