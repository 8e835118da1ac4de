package io.kubeoidc.service.cli;

import io.kubeoidc.store.etcd.EtcdConnection;
import io.kubeoidc.store.etcd.EtcdSettings;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How the CLI reaches etcd; each option defaults to the environment variable the service reads. */
final class EtcdOptions {
    @Option(names = "--etcd-endpoints", paramLabel = "URL[,URL...]", defaultValue = "${env:ISSUER_KEYS_ETCD_ENDPOINTS}",
            description = "Comma-separated etcd client URLs (default: $ISSUER_KEYS_ETCD_ENDPOINTS).")
    String endpoints;

    @Option(names = "--etcd-prefix", paramLabel = "PREFIX", defaultValue = "${env:ISSUER_KEYS_ETCD_PREFIX:-/kube-oidc-issuer/}",
            description = "Key prefix (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--etcd-ca-file", paramLabel = "FILE", defaultValue = "${env:ISSUER_KEYS_ETCD_CA_FILE}", description = "CA bundle of the etcd servers.")
    Path caFile;

    @Option(names = "--etcd-cert-file", paramLabel = "FILE", defaultValue = "${env:ISSUER_KEYS_ETCD_CERT_FILE}", description = "Client certificate.")
    Path certFile;

    @Option(names = "--etcd-key-file", paramLabel = "FILE", defaultValue = "${env:ISSUER_KEYS_ETCD_KEY_FILE}", description = "Client certificate's key.")
    Path keyFile;

    @Option(names = "--etcd-user", paramLabel = "USER", defaultValue = "${env:ISSUER_KEYS_ETCD_USER}",
            description = "etcd user; the password comes from $ISSUER_KEYS_ETCD_PASSWORD, never the command line.")
    String user;

    EtcdConnection connect() {
        if (endpoints == null || endpoints.isBlank()) {
            throw new UsageException("--etcd-endpoints (or $ISSUER_KEYS_ETCD_ENDPOINTS) is required");
        }
        String password = user == null ? null : System.getenv("ISSUER_KEYS_ETCD_PASSWORD");
        if (user != null && password == null) {
            throw new UsageException("--etcd-user needs the password in $ISSUER_KEYS_ETCD_PASSWORD");
        }
        return new EtcdConnection(new EtcdSettings(EtcdSettings.parseEndpoints(endpoints), prefix, caFile, certFile,
                keyFile, user, password, Duration.ofSeconds(5)));
    }
}
