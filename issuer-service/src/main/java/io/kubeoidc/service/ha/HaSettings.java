package io.kubeoidc.service.ha;

import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.store.etcd.EtcdSettings;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

/** The validated etcd and replica settings; built once at start so a bad value stops the service with one message. */
record HaSettings(EtcdSettings etcd, Path encryptionKeyFile, Path localCopy, String replicaId, Duration leaseTtl) {

    /**
     * How long etcd may fail before a replica calls itself degraded: twice the call timeout, which rides out
     * etcd electing a new raft leader after losing one (about a second) without crying wolf.
     */
    java.time.Duration degradedAfter() {
        return etcd.timeout().multipliedBy(2);
    }

    /** Called only for issuer.keys.store=etcd (IssuerSettings has checked the store's name). */
    static HaSettings from(IssuerProperties p) {
        var keys = p.keys();
        if (p.publisher().keysFile() != null) {
            throw new InvalidConfigurationException("issuer.publisher.keys-file (publisher mode) cannot be combined with"
                    + " issuer.keys.store=etcd", "A publisher publishes a mounted sa.pub and holds no keys; drop one of them.", null);
        }
        var e = keys.etcd();
        if (e.endpoints() == null || e.endpoints().isBlank()) {
            throw new InvalidConfigurationException("issuer.keys.store=etcd needs issuer.keys.etcd.endpoints",
                    "Set it to the etcd client URLs, e.g. https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379.", null);
        }
        if (keys.encryptionKeyFile() == null) {
            throw new InvalidConfigurationException("issuer.keys.store=etcd needs issuer.keys.encryption-key-file: private"
                    + " keys are sealed with it before they reach etcd", "Create one with (umask 077; openssl rand -base64 32 >"
                    + " /etc/kube-oidc-issuer/kek) and give every replica the same file (docs/ha.md).", null);
        }
        EtcdSettings etcd;
        try {
            etcd = new EtcdSettings(EtcdSettings.parseEndpoints(e.endpoints()), e.prefix(), e.caFile(), e.certFile(),
                    e.keyFile(), blankToNull(e.user()), blankToNull(e.password()), e.timeout());
        } catch (IllegalArgumentException ex) {
            throw new InvalidConfigurationException("issuer.keys.etcd: " + ex.getMessage(),
                    "docs/ha.md shows the settings for kubeadm's etcd and for a dedicated etcd user.", ex);
        }
        String id = blankToNull(e.replicaId());
        if (id == null) {
            try {
                id = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException ex) {
                throw new InvalidConfigurationException("cannot determine the host name for issuer.keys.etcd.replica-id: "
                        + ex.getMessage(), "Set issuer.keys.etcd.replica-id to the node's name.", ex);
            }
        }
        if (id.contains("/")) {
            throw new InvalidConfigurationException("issuer.keys.etcd.replica-id '" + id + "' must not contain '/'",
                    "Use the node name.", null);
        }
        Duration ttl = e.leaseTtl();
        if (ttl.toSeconds() < 2 || ttl.compareTo(e.timeout().multipliedBy(2)) < 0) {
            throw new InvalidConfigurationException("issuer.keys.etcd.lease-ttl is " + ttl + "; it must be at least 2s and"
                    + " at least twice issuer.keys.etcd.timeout (" + e.timeout() + ")",
                    "The default 15s replaces a crashed leader within 15 s.", null);
        }
        return new HaSettings(etcd, keys.encryptionKeyFile(), keys.localCopy(), id, ttl);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
