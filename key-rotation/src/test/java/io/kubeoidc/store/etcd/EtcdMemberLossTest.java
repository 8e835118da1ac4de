package io.kubeoidc.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.kubeoidc.testing.EtcdCluster;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Killing any one member of three. Losing the raft leader leaves etcd unable to commit until the others elect
 * a new one, so calls may fail briefly, and a replica starved of CPU may miss a renewal and step down for a
 * while: both are correct. What must hold is that the client moves to the survivors and the replica (the only
 * candidate) leads again, without the dead member ever coming back. Waits are for those conditions, with a
 * deadline derived from the lease TTL and etcd's election timeout, never for a fixed time.
 */
class EtcdMemberLossTest {
    private static final Duration TTL = Duration.ofSeconds(5);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration STEP = Duration.ofMillis(200);
    /**
     * Worst case to lead again: the keep-alive stream dies with the member and the replica drops its lease after a
     * TTL; the old leader key lives until etcd expires that lease (another TTL, postponed by a raft election);
     * then one claim, retried once within the call timeout. Scaled tenfold for a 2-core machine at load ~20.
     */
    private static final Duration RECOVERY = TTL.multipliedBy(2).plus(EtcdCluster.ELECTION_TIMEOUT)
            .plus(CALL_TIMEOUT.multipliedBy(2)).multipliedBy(10);
    /** Successful steps before and after each kill: enough for the client to have used every (surviving) member. */
    private static final int STEPS = 5;

    @TempDir
    Path dir;

    @Test
    void losingAnyOneMemberLeavesTheReplicaLeadingOnTheSurvivors() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(dir, 3)) {
            List<String> failures = new ArrayList<>();
            for (int victim = 0; victim < 3; victim++) {
                try (var conn = new EtcdConnection(new EtcdSettings(etcd.endpoints(), "/loss/", null, null, null, null, null,
                        CALL_TIMEOUT))) {
                    var election = new EtcdLeaderElection(conn, "r" + victim, TTL, Clock.systemUTC());
                    stepUntilLeading(election, conn, "before losing member " + victim, failures);
                    etcd.kill(victim);
                    stepUntilLeading(election, conn, "after losing member " + victim, failures);
                    assertThat(election.leaderSeen()).as("the leader key names r%d", victim).contains("r" + victim);
                    election.close();
                    etcd.restart(victim);
                    etcd.awaitHealthy(EtcdCluster.STARTUP);
                }
            }
            System.out.println("transient failures (tolerated): " + failures.size() + " " + failures);
        }
    }

    /**
     * Steps as the replica's scheduler does until it has stepped successfully {@link #STEPS} times and, right after
     * a successful step, leads. Failures on the way are recorded, not fatal: they are the election window.
     */
    private static void stepUntilLeading(EtcdLeaderElection election, EtcdConnection conn, String when,
            List<String> failures) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        int succeeded = 0;
        while (true) {
            try {
                election.step();
                EtcdGroupView.read(conn);
                succeeded++;
                if (succeeded >= STEPS && election.isLeader()) {
                    return;
                }
            } catch (EtcdUnavailableException e) {
                failures.add(when + ": " + e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                fail("%s does not lead %s within %s (%d successful steps, leader key held by %s); failures: %s",
                        election.replicaId(), when, RECOVERY, succeeded, election.leaderSeen().orElse("nobody"), failures);
            }
            Thread.sleep(STEP.toMillis());
        }
    }
}
