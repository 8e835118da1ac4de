package io.kubeoidc.store.etcd;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.store.KeySetJson;
import io.kubeoidc.store.KeyStoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A read-only look at a replica group, needing no key-encryption key: the public key set (its MAC is not
 * checked here; replicas check it), who leads and what each replica serves. What {@code ha status} prints.
 */
public record EtcdGroupView(KeySet keySet, Optional<String> leader, List<EtcdLeaderElection.Replica> replicas) {

    public static EtcdGroupView read(EtcdConnection etcd) {
        var r = etcd.call("read the group", () -> etcd.client().getKVClient().txn().Then(
                Op.get(etcd.key(EtcdKeyStore.KEYSET), GetOption.DEFAULT),
                Op.get(etcd.key(EtcdLeaderElection.LEADER), GetOption.DEFAULT),
                Op.get(etcd.key(EtcdLeaderElection.REPLICAS), GetOption.builder().isPrefix(true).build())).commit());
        List<KeyValue> meta = r.getGetResponses().get(0).getKvs();
        KeySet set = KeySet.EMPTY;
        if (!meta.isEmpty()) {
            try {
                set = KeySetJson.decodeSelfContained(SealedBox.unverifiedPayload(meta.get(0).getValue().getBytes()));
            } catch (java.text.ParseException | RuntimeException e) {
                throw new KeyStoreException(etcd.describe() + ": " + EtcdKeyStore.KEYSET + " is invalid: " + e.getMessage(), e);
            }
        }
        List<KeyValue> leader = r.getGetResponses().get(1).getKvs();
        return new EtcdGroupView(set, leader.isEmpty() ? Optional.empty()
                : Optional.of(leader.get(0).getValue().toString(StandardCharsets.UTF_8)),
                parse(r.getGetResponses().get(2).getKvs()));
    }

    static List<EtcdLeaderElection.Replica> replicas(EtcdConnection etcd) {
        var r = etcd.call("list replicas", () -> etcd.client().getKVClient().get(etcd.key(EtcdLeaderElection.REPLICAS),
                GetOption.builder().isPrefix(true).build()));
        return parse(r.getKvs());
    }

    private static List<EtcdLeaderElection.Replica> parse(List<KeyValue> kvs) {
        List<EtcdLeaderElection.Replica> out = new ArrayList<>();
        for (KeyValue kv : kvs) {
            try {
                Map<String, Object> j = JSONObjectUtils.parse(kv.getValue().toString(StandardCharsets.UTF_8));
                out.add(new EtcdLeaderElection.Replica(JSONObjectUtils.getString(j, "id"), JSONObjectUtils.getLong(j, "revision"),
                        JSONObjectUtils.getBoolean(j, "leader"), JSONObjectUtils.getBoolean(j, "degraded"),
                        JSONObjectUtils.getString(j, "version")));
            } catch (java.text.ParseException | RuntimeException e) {
                out.add(new EtcdLeaderElection.Replica(kv.getKey().toString(StandardCharsets.UTF_8), -1, false, true,
                        "unreadable: " + e.getMessage()));
            }
        }
        return out;
    }
}
