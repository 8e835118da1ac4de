package io.kubeoidc.rotation;

import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;

/** Where new keys come from; injected so the planner stays deterministic under test. */
@FunctionalInterface
public interface KeySource {
    SigningKey generate(KeySpec spec);
}
