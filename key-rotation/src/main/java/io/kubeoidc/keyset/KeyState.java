package io.kubeoidc.keyset;

/**
 * Where a key is in its life. Every state here is published in the JWKS; a removed key is simply
 * no longer in the key set.
 */
public enum KeyState {
    /** Published ahead of use, so relying parties have it cached before the first token appears. */
    NEXT,
    /** Published and signing. Exactly one key is active once the set has any signing key. */
    ACTIVE,
    /** Published, no longer signing; kept until every token it signed has expired. */
    RETIRED,
    /** Imported public key (e.g. an old sa.pub): published, never signing. */
    VERIFY_ONLY
}
