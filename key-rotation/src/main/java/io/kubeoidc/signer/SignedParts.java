package io.kubeoidc.signer;

/** The two JWT segments the signer returns (base64url header and signature) and the kid used. */
public record SignedParts(String header, String signature, String kid, String algorithm) {}
