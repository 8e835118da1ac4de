package io.kubeoidc.documents;

import io.kubeoidc.keys.VerificationKey;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * Both documents pre-rendered with their strong ETags. Built once per key-set change and then
 * served as bytes, so the hot path does no JSON work.
 */
public record PublishedDocuments(Document discovery, Document jwks) {

    /** Bytes plus a strong ETag derived from them (so every replica computes the same tag). */
    public record Document(byte[] bytes, String etag) {
        public static Document of(byte[] bytes) {
            return new Document(bytes, etagOf(bytes));
        }
    }

    public static PublishedDocuments render(IssuerConfig config, List<VerificationKey> published) {
        return new PublishedDocuments(
                Document.of(DiscoveryDocument.render(config, published)),
                Document.of(JwksDocument.render(published)));
    }

    static String etagOf(byte[] bytes) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(hash).substring(0, 27) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
