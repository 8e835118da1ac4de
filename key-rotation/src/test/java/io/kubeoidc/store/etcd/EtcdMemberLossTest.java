package io.kubeoidc.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;

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
 * a new one (about the election timeout), so calls may fail briefly; they must succeed again well within the
 * grace a replica allows before it calls itself degraded ({@code ReplicaHealth}: twice the call timeout).
 */
class EtcdMemberLossTest {
    @TempDir
    Path dir;

    @Test
    void losingAnyOneMemberFailsNoCall() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(dir, 3)) {
            List<String> failures = new ArrayList<>();
            long longestOutageMs = 0;
            int calls = 0;
            for (int victim = 0; victim < 3; victim++) {
                try (var conn = new EtcdConnection(new EtcdSettings(etcd.endpoints(), "/loss/", null, null, null, null, null,
                        Duration.ofSeconds(2)))) {
                    var election = new EtcdLeaderElection(conn, "r" + victim, Duration.ofSeconds(5), Clock.systemUTC());
                    for (int i = 0; i < 5; i++) { // connections to every member
                        election.step();
                        EtcdGroupView.read(conn);
                    }
                    etcd.kill(victim);
                    long killed = System.nanoTime();
                    long end = killed + Duration.ofSeconds(6).toNanos();
                    long lastSuccess = killed;
                    while (System.nanoTime() < end) {
                        try {
                            election.step();
                            EtcdGroupView.read(conn);
                            longestOutageMs = Math.max(longestOutageMs, (System.nanoTime() - lastSuccess) / 1_000_000);
                            lastSuccess = System.nanoTime();
                        } catch (EtcdUnavailableException e) {
                            failures.add("member " + victim + ": " + e.getMessage());
                        }
                        calls++;
                        Thread.sleep(200);
                    }
                    assertThat(election.isLeader()).as("still leads after losing member %d", victim).isTrue();
                    election.close();
                    etcd.restart(victim);
                    etcd.awaitHealthy(Duration.ofSeconds(30));
                }
            }
            System.out.println(calls + " steps; longest time without a successful step: " + longestOutageMs
                    + " ms; transient failures: " + failures.size());
            assertThat(longestOutageMs).as("etcd answers again within the degraded grace; failures: %s", failures)
                    .isLessThan(4000);
        }
    }
}
