package io.kubeoidc.keyset;

import io.kubeoidc.keys.VerificationKey;
import java.time.Instant;
import java.util.Objects;

/**
 * A key and its lifecycle facts. Holds no private key bytes: those stay with the custody (for {@code files}, in the
 * store).
 *
 * @param hasPrivateKey whether the custody holds the private half (required to be NEXT or ACTIVE)
 * @param stateSince    when the key entered its state
 * @param confirmedAt   when every publication target had confirmed a document containing this key,
 *                      or null; a NEXT key activates only publish-ahead after this instant
 * @param removeAt      for VERIFY_ONLY keys: when to drop it from the documents, or null for "by command"
 * @param origin        "generated", or "imported from FILE"
 * @param gateBypass    null when the key may sign only after confirmation; otherwise why it signs without
 *                      one (the first key, an imported signing key, an emergency): each is audited
 */
public record ManagedKey(VerificationKey key, KeyState state, boolean hasPrivateKey, Instant created,
                         Instant stateSince, Instant confirmedAt, Instant removeAt, String origin, String gateBypass) {

    public ManagedKey(VerificationKey key, KeyState state, boolean hasPrivateKey, Instant created,
                      Instant stateSince, Instant confirmedAt, Instant removeAt, String origin) {
        this(key, state, hasPrivateKey, created, stateSince, confirmedAt, removeAt, origin, null);
    }

    public ManagedKey {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(stateSince, "stateSince");
        Objects.requireNonNull(origin, "origin");
        if ((state == KeyState.ACTIVE || state == KeyState.NEXT) && !hasPrivateKey) {
            throw new IllegalArgumentException("key " + key.kid() + " cannot be " + state + " without its private key");
        }
    }

    /** A key entering the set now. */
    public static ManagedKey added(VerificationKey key, KeyState state, boolean hasPrivateKey, Instant now, String origin) {
        return new ManagedKey(key, state, hasPrivateKey, now, now, null, null, origin);
    }

    public String kid() {
        return key.kid();
    }

    public ManagedKey withState(KeyState next, Instant since) {
        return new ManagedKey(key, next, hasPrivateKey, created, since, confirmedAt, removeAt, origin, gateBypass);
    }

    public ManagedKey withConfirmedAt(Instant at) {
        return new ManagedKey(key, state, hasPrivateKey, created, stateSince, at, removeAt, origin, gateBypass);
    }

    public ManagedKey withRemoveAt(Instant at) {
        return new ManagedKey(key, state, hasPrivateKey, created, stateSince, confirmedAt, at, origin, gateBypass);
    }

    /**
     * Once a key leaves NEXT and ACTIVE it never signs again (no transition leads back, and an emergency
     * makes a new key rather than reviving a retired one), so its custody destroys the private half once the store
     * has committed this.
     */
    public ManagedKey withoutSpentPrivateKey() {
        return hasPrivateKey && state != KeyState.ACTIVE && state != KeyState.NEXT
                ? new ManagedKey(key, state, false, created, stateSince, confirmedAt, removeAt, origin, gateBypass) : this;
    }

    /** Marks a key that signs without a publication confirmation, and why. */
    public ManagedKey withGateBypass(String why) {
        return new ManagedKey(key, state, hasPrivateKey, created, stateSince, confirmedAt, removeAt, origin, why);
    }

    /**
     * Why this key must not sign, or empty when it may. SPIRE's rule: never sign with a key that relying
     * parties may not be able to validate, so an ACTIVE key needs a confirmation or a recorded bypass. A
     * replica applies this to whatever the store hands it, written by any version or by hand.
     */
    public java.util.Optional<String> signingRefusal() {
        if (state != KeyState.ACTIVE) {
            return java.util.Optional.of("kid " + kid() + " is " + state + ", not ACTIVE");
        }
        if (confirmedAt == null && gateBypass == null) {
            return java.util.Optional.of("ACTIVE kid " + kid() + " was never confirmed by the publication targets"
                    + " and records no reason to sign without confirmation, so relying parties may not have it");
        }
        return java.util.Optional.empty();
    }
}
