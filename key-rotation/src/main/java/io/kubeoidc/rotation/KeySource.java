package io.kubeoidc.rotation;

import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keys.KeySpec;

/** Where new keys come from (the custody); injected so the planner stays deterministic under test. */
@FunctionalInterface
public interface KeySource {
    KeyHandle generate(KeySpec spec);
}
