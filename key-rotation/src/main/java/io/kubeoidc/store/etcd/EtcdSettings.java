package io.kubeoidc.store.etcd;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How to reach etcd and where the issuer's keys live in it.
 *
 * @param prefix     every key the issuer writes starts with it (ends with "/"); an etcd role can be limited to it
 * @param caFile     PEM CA bundle that signed the etcd server certificates (https endpoints)
 * @param certFile   PEM client certificate (mutual TLS, as kubeadm's etcd requires), with {@code keyFile}
 * @param user       etcd user (with {@code password}), when etcd authenticates by password instead
 * @param timeout    how long one etcd call may take before the replica counts etcd as unreachable
 */
public record EtcdSettings(List<URI> endpoints, String prefix, Path caFile, Path certFile, Path keyFile, String user,
                           String password, Duration timeout) {

    public EtcdSettings {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoints");
        }
        for (URI e : endpoints) {
            if (e.toString().contains("@")) {
                // Said without the URL: it holds the password, and this message is printed and logged.
                throw new IllegalArgumentException("etcd endpoint " + withoutUserInfo(e.toString()) + " carries a user"
                        + " name and password in the URL, which would end up in logs and process listings; set the"
                        + " etcd user and password settings instead");
            }
            if (!"http".equals(e.getScheme()) && !"https".equals(e.getScheme()) || e.getHost() == null || e.getPort() < 0) {
                throw new IllegalArgumentException("etcd endpoint '" + withoutUserInfo(e.toString())
                        + "' must look like https://10.0.0.1:2379");
            }
        }
        if (prefix == null || !prefix.startsWith("/") || !prefix.endsWith("/") || prefix.length() < 3) {
            throw new IllegalArgumentException("etcd prefix '" + prefix + "' must start and end with '/', e.g. /kube-oidc-issuer/");
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("the etcd client certificate and its key go together; set both or neither");
        }
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("the etcd user and password go together; set both or neither");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the etcd timeout must be positive");
        }
    }

    /** Comma-separated endpoints as operators write them (etcd's --endpoints form). */
    public static List<URI> parseEndpoints(String list) {
        List<URI> out = new java.util.ArrayList<>();
        for (String e : list == null ? new String[0] : list.split(",")) {
            if (e.isBlank()) {
                continue;
            }
            try {
                out.add(new URI(e.strip()));
            } catch (java.net.URISyntaxException ex) {
                throw new IllegalArgumentException("etcd endpoint '" + withoutUserInfo(e.strip())
                        + "' must look like https://10.0.0.1:2379");
            }
        }
        return out;
    }

    /** "https://***@host:2379" for "https://user:password@host:2379" (or "user:password@host:2379"), valid URI or not. */
    static String withoutUserInfo(String endpoint) {
        // Up to the last '@': a password may hold '/' or '#', and an etcd endpoint has no path that needs one.
        return endpoint.replaceAll("^([^:/@]*://)?.*@", "$1***@");
    }

    /** The record's own toString would print the password. */
    @Override
    public String toString() {
        return "EtcdSettings[endpoints=" + endpoints + ", prefix=" + prefix + ", caFile=" + caFile + ", certFile="
                + certFile + ", keyFile=" + keyFile + ", user=" + user + ", password="
                + (password == null ? null : "<redacted>") + ", timeout=" + timeout + "]";
    }

    public boolean tls() {
        return endpoints.stream().anyMatch(e -> "https".equals(e.getScheme()));
    }
}
