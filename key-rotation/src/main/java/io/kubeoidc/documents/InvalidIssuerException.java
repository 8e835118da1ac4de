package io.kubeoidc.documents;

/** An issuer or jwks_uri that kube-apiserver (and so Entra ID) would refuse; the message says which rule. */
public class InvalidIssuerException extends IllegalArgumentException {
    public InvalidIssuerException(String message) {
        super(message);
    }
}
