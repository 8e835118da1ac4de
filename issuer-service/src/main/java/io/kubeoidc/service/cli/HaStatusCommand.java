package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.store.etcd.EtcdGroupView;
import io.kubeoidc.store.etcd.EtcdLeaderElection;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "The leader, every live replica with the revision it serves, and the key set in etcd."
                + " Reads only public data: needs no key-encryption key.")
final class HaStatusCommand implements Callable<Integer> {
    @Mixin
    EtcdOptions etcd;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        try (var connection = etcd.connect()) {
            EtcdGroupView view = EtcdGroupView.read(connection);
            out.println(connection.describe());
            out.println("leader: " + view.leader().orElse("none (no replica holds the leader key)"));
            long revision = view.keySet().revision();
            out.println("key set revision " + revision + ", data_timestamp "
                    + (view.keySet().dataTimestamp() == null ? "-" : view.keySet().dataTimestamp()));
            String keys = "  %-43s  %-5s  %-11s  %s%n";
            for (ManagedKey k : view.keySet().keys()) {
                out.printf(keys, k.kid(), k.key().algorithm(), k.state(), k.stateSince());
            }
            out.println("replicas (" + view.replicas().size() + "):");
            String row = "  %-24s  %-9s  %-7s  %s%n";
            out.printf(row, "ID", "REVISION", "ROLE", "STATE");
            for (EtcdLeaderElection.Replica r : view.replicas()) {
                String state = r.degraded() ? "DEGRADED" : r.revision() == revision ? "in step" : "behind";
                out.printf(row, r.id(), r.revision(), r.leader() ? "leader" : "follower", state);
            }
            return 0;
        }
    }
}
