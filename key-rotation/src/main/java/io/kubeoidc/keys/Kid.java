package io.kubeoidc.keys;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Base64;

/**
 * kube-apiserver's key id: base64url without padding of SHA-256 over the DER SubjectPublicKeyInfo
 * (pkg/serviceaccount/jwt.go keyIDFromPublicKey). It must never change for a given key, or every
 * token already issued stops verifying.
 */
public final class Kid {
    private Kid() {}

    public static String of(PublicKey key) {
        return base64Url(sha256(PublicKeys.canonicalSpki(key)));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String base64Url(byte[] data) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    }
}
