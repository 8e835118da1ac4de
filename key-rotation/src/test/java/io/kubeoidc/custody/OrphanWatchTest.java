package io.kubeoidc.custody;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class OrphanWatchTest {
    @Test
    void anOrphanBecomesDestroyableOnlyAfterALaterCommitStillDoesNotNameIt() {
        OrphanWatch watch = new OrphanWatch();
        var first = watch.observe(Set.of("a", "crashed"), Set.of("a"), 7);
        assertThat(first.all()).containsExactly("crashed");
        assertThat(first.destroyable()).isEmpty();
        // no commit since: still not provable (a writer that read revision 7 may be about to commit it)
        assertThat(watch.observe(Set.of("a", "crashed"), Set.of("a"), 7).destroyable()).isEmpty();
        assertThat(watch.observe(Set.of("a", "crashed"), Set.of("a"), 8).destroyable()).containsExactly("crashed");
    }

    @Test
    void aKeyTheNextCommitNamesIsNeverDestroyable() {
        OrphanWatch watch = new OrphanWatch();
        watch.observe(Set.of("a", "in-flight"), Set.of("a"), 3);
        var after = watch.observe(Set.of("a", "in-flight"), Set.of("a", "in-flight"), 4);
        assertThat(after.all()).isEmpty();
        // named at 4, dropped at 5 (removed): first seen unnamed again at 5, destroyable from 6
        assertThat(watch.observe(Set.of("a", "in-flight"), Set.of("a"), 5).destroyable()).isEmpty();
        assertThat(watch.observe(Set.of("a", "in-flight"), Set.of("a"), 6).destroyable()).containsExactly("in-flight");
    }
}
