package io.kubeoidc.service.it;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waiting for a condition with a generous deadline, never for a fixed time (the machine may be loaded). */
final class Await {
    private Await() {}

    /** Polls {@code condition} every 100 ms until it holds; an exception it throws fails the wait at once. */
    static void await(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.call()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
    }

    /** The condition, false while it throws: a service that does not answer (killed, or starting) is "not yet". */
    static Callable<Boolean> quietly(Callable<Boolean> condition) {
        return () -> {
            try {
                return condition.call();
            } catch (Exception e) {
                return false;
            }
        };
    }
}
