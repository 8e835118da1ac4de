package io.kubeoidc.custody.pkcs11;

import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Key objects on the token that the committed key set does not name: left by a crash between creating a key and
 * committing the set that names it (a pending label: a crash before the key was even named), or by a destroy that
 * failed after a key stopped signing.
 *
 * <p>When destroying them is provably safe: only at start, before this process creates any key, and only when this
 * process is the token's one writer (not {@code shared-token}). Then every object the committed set does not name
 * came from a create whose commit never happened or from a key that can no longer sign: commits are conditioned on
 * the revision just read, and from now on they add only keys this process creates later, so no commit can ever
 * name such an object again. On a shared token another replica may be between its create and its commit, so
 * orphans are only reported there (keys status, health) for the operator to remove.
 */
public record Orphans(SortedSet<String> labels) {
    public Orphans {
        labels = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(labels));
    }

    public static Orphans of(Set<String> onToken, Set<String> namedByKeySet) {
        SortedSet<String> out = new TreeSet<>(onToken);
        out.removeAll(namedByKeySet);
        return new Orphans(out);
    }

    public boolean isEmpty() {
        return labels.isEmpty();
    }
}
