package io.kubeoidc.service.cli;

import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.store.etcd.EtcdGroupView;
import io.kubeoidc.store.etcd.EtcdLeaderElection;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "The leader, every live replica with the revision it serves, and the key set in etcd."
                + " Reads only public data: needs no key-encryption key.",
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.PRINTED, "1:Error: etcd cannot be reached or read, or an endpoint is malformed.",
                "2:Usage error, such as no --etcd-endpoints and no $ISSUER_KEYS_ETCD_ENDPOINTS."})
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
            Instant now = Instant.now();
            out.println("key set revision " + revision + ", data_timestamp "
                    + (view.keySet().dataTimestamp() == null ? "-" : DurationText.timestamp(view.keySet().dataTimestamp())));
            Table keys = new Table("KID", "ALG", "STATE", "SINCE");
            for (ManagedKey k : view.keySet().keys()) {
                keys.row(k.kid(), k.key().algorithm(), k.state(), DurationText.when(k.stateSince(), now));
            }
            keys.print(out, "  ");
            out.println("replicas (" + view.replicas().size() + "):");
            Table replicas = new Table("ID", "REVISION", "ROLE", "STATE");
            for (EtcdLeaderElection.Replica r : view.replicas()) {
                String state = r.degraded() ? "DEGRADED" : r.revision() == revision ? "in step" : "behind";
                replicas.row(r.id(), r.revision(), r.leader() ? "leader" : "follower", state);
            }
            replicas.print(out, "  ");
            return 0;
        }
    }
}
