package io.kubeoidc.signer;

/** Claims that are not base64url-encoded JSON objects; nothing was signed. Never carries the claims. */
public class InvalidClaimsException extends IllegalArgumentException {
    public InvalidClaimsException(String reason) {
        super(reason);
    }
}
