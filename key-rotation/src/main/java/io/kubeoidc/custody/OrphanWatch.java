package io.kubeoidc.custody;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Keys a custody holds that no committed key set names: left by a crash between creating a key and committing the
 * set that names it, by a commit that lost its race, or by a destroy that failed after a key stopped signing.
 *
 * <p>When destroying one is provably safe: once the store has committed a revision above the one at which the
 * orphan was first seen unnamed, and it is still unnamed. Every writer creates a key only after reading the
 * revision its commit is conditioned on; an object that already existed when the store stood at revision R was
 * therefore created by a writer that read R or less. Its commit either made a revision that names the key (and a
 * later set that drops it has retired or removed it), or failed because the store moved past its revision. Either
 * way no commit can name it any more. No clock is involved, and it holds for a token shared by several replicas.
 */
public final class OrphanWatch {
    /** The orphans now, and those of them that may be destroyed now. */
    public record Orphans(SortedSet<String> all, SortedSet<String> destroyable) {
        public static final Orphans NONE = new Orphans(Collections.emptySortedSet(), Collections.emptySortedSet());

        public Orphans {
            all = Collections.unmodifiableSortedSet(new TreeSet<>(all));
            destroyable = Collections.unmodifiableSortedSet(new TreeSet<>(destroyable));
        }
    }

    private final Map<String, Long> firstSeenUnnamed = new HashMap<>();

    /**
     * @param held     what the custody holds now (listed after {@code revision} was read)
     * @param named    every kid the key set at {@code revision} names as able to sign (NEXT, ACTIVE): a key it
     *                 retired whose destroy failed is left over too, and can never sign again
     * @param revision the committed revision just read
     */
    public synchronized Orphans observe(Set<String> held, Set<String> named, long revision) {
        firstSeenUnnamed.keySet().retainAll(held);
        firstSeenUnnamed.keySet().removeAll(named);
        SortedSet<String> all = new TreeSet<>();
        SortedSet<String> destroyable = new TreeSet<>();
        for (String label : held) {
            if (named.contains(label)) {
                continue;
            }
            all.add(label);
            if (firstSeenUnnamed.computeIfAbsent(label, l -> revision) < revision) {
                destroyable.add(label);
            }
        }
        return new Orphans(all, destroyable);
    }

    /** After a destroy: nothing left to watch for it. */
    public synchronized void forget(String label) {
        firstSeenUnnamed.remove(label);
    }
}
