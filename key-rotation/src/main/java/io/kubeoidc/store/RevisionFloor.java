package io.kubeoidc.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The key-set revision high-water mark: the highest revision this replica (or this directory) has served or
 * committed. A store refuses to hand out a lower one: the metadata is authenticated, but an old, authentic
 * value written back (a rollback) would otherwise revive a revoked key. Only {@code keys restore} goes back
 * on purpose, by re-committing the old content at a higher revision.
 */
public interface RevisionFloor {
    RevisionFloor NONE = () -> 0;

    long floor();

    /** Held in memory, raised by what the replica serves; the sealed local copy persists it across restarts. */
    final class InMemory implements RevisionFloor {
        private final AtomicLong mark;

        public InMemory(long initial) {
            this.mark = new AtomicLong(initial);
        }

        @Override
        public long floor() {
            return mark.get();
        }

        public void raise(long revision) {
            mark.accumulateAndGet(revision, Math::max);
        }
    }
}
