package io.kubeoidc.rotation;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import java.util.ArrayList;
import java.util.List;

/** The transitions between two key sets, for auditing changes another writer (the CLI) committed. */
public final class KeySetDiff {
    private KeySetDiff() {}

    public static List<Transition> between(KeySet before, KeySet after, String why) {
        List<Transition> out = new ArrayList<>();
        for (ManagedKey b : before.keys()) {
            var a = after.find(b.kid());
            if (a.isEmpty()) {
                out.add(new Transition(b.kid(), b.state(), null, why));
            } else if (a.get().state() != b.state()) {
                out.add(new Transition(b.kid(), b.state(), a.get().state(), why));
            }
        }
        for (ManagedKey a : after.keys()) {
            if (before.find(a.kid()).isEmpty()) {
                out.add(new Transition(a.kid(), null, a.state(), why));
            }
        }
        return out;
    }
}
