package io.kubeoidc.service.cli;

import io.kubeoidc.documents.IssuerConfig;
import io.kubeoidc.store.etcd.EtcdSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "render", mixinStandardHelpOptions = true, description = "Render deployment manifests.",
        subcommands = RenderCommand.StaticPod.class)
final class RenderCommand {

    /**
     * A kubeadm-style static pod for a control-plane node: the signer must be up before kube-apiserver,
     * even on a cold boot of the whole control plane when no API exists to schedule pods. Write the output to
     * /etc/kubernetes/manifests/kube-oidc-issuer.yaml.
     */
    @Command(name = "static-pod", mixinStandardHelpOptions = true,
            description = "A kubeadm-style static pod manifest (hostPath socket and state, probes, priority class).")
    static final class StaticPod implements Callable<Integer> {
        /**
         * The image's JVM options (Dockerfile), explained in docs/deployment.md, "JVM options". The image's
         * entry point adds its class data sharing archive whatever JAVA_TOOL_OPTIONS says.
         */
        static final String JVM_OPTIONS = "-XX:+UseSerialGC -Xms32m -Xmx128m -Xss512k -XX:+ExitOnOutOfMemoryError";

        @Option(names = "--issuer", required = true, paramLabel = "URL", description = "issuer.url (https)")
        String issuer;

        @Option(names = "--image", defaultValue = "ghcr.io/kube-oidc-issuer/issuer-service:0.1.0",
                description = "Container image (default: ${DEFAULT-VALUE}).")
        String image;

        @Option(names = "--state-dir", defaultValue = "/var/lib/kube-oidc-issuer",
                description = "Host directory for keys and the filesystem mirror (default: ${DEFAULT-VALUE}).")
        String stateDir;

        @Option(names = "--socket-dir", defaultValue = "/var/run/kube-oidc-issuer",
                description = "Host directory for the signer socket; mount it into kube-apiserver too (default: ${DEFAULT-VALUE}).")
        String socketDir;

        @Option(names = "--port", defaultValue = "8080", description = "Public port on the host network.")
        int port;

        @Option(names = "--management-port", defaultValue = "8081", description = "Health and metrics port (node-local).")
        int managementPort;

        @Option(names = "--etcd-endpoints", paramLabel = "URLS",
                description = "High availability: comma-separated etcd client URLs; the replicas on every control-plane"
                        + " node share one key set there (docs/ha.md).")
        String etcdEndpoints;

        @Option(names = "--etcd-ca-file", defaultValue = "/etc/kubernetes/pki/etcd/ca.crt", paramLabel = "FILE",
                description = "With --etcd-endpoints: the etcd CA on the node (default: ${DEFAULT-VALUE}).")
        String etcdCaFile;

        @Option(names = "--etcd-cert-file", defaultValue = "/etc/kubernetes/pki/kube-oidc-issuer-etcd-client.crt",
                paramLabel = "FILE", description = "With --etcd-endpoints: the client certificate on the node (default: ${DEFAULT-VALUE}).")
        String etcdCertFile;

        @Option(names = "--etcd-key-file", defaultValue = "/etc/kubernetes/pki/kube-oidc-issuer-etcd-client.key",
                paramLabel = "FILE", description = "With --etcd-endpoints: the client certificate's key on the node (default: ${DEFAULT-VALUE}).")
        String etcdKeyFile;

        @Option(names = "--encryption-key-file", defaultValue = "/etc/kube-oidc-issuer/kek", paramLabel = "FILE",
                description = "With --etcd-endpoints: the key-encryption key on the node, the same file on every node"
                        + " (default: ${DEFAULT-VALUE}).")
        String encryptionKeyFile;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            IssuerConfig.of(issuer, null, false); // refuse what kube-apiserver and Entra would refuse
            String socket = socketDir + "/signer.sock";
            Replicas replicas = etcdEndpoints == null ? Replicas.SINGLE : Replicas.of(etcdEndpoints, encryptionKeyFile,
                    etcdCaFile, etcdCertFile, etcdKeyFile);
            spec.commandLine().getOut().print("""
                    # kube-oidc-issuer as a static pod: /etc/kubernetes/manifests/kube-oidc-issuer.yaml
                    # kube-apiserver: --service-account-signing-endpoint=%6$s (mount %3$s into it as well)
                    %9$s\
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: kube-oidc-issuer
                      namespace: kube-system
                      labels:
                        component: kube-oidc-issuer
                        tier: control-plane
                    spec:
                      hostNetwork: true
                      priorityClassName: system-node-critical
                      securityContext:
                        seccompProfile:
                          type: RuntimeDefault
                      containers:
                        - name: issuer
                          image: %1$s
                          imagePullPolicy: IfNotPresent
                          args:
                            - --issuer.url=%2$s
                    %10$s\
                            - --issuer.mirror.filesystem.directory=/data/public
                            - --issuer.signer.socket=%6$s
                            - --server.port=%4$d
                            - --management.server.port=%5$d
                            - --management.server.address=127.0.0.1
                          env:
                            - name: JAVA_TOOL_OPTIONS
                              value: "%8$s"
                          securityContext:
                            # Root, like kube-apiserver: the socket is 0600 and kube-apiserver must open it.
                            runAsUser: 0
                            allowPrivilegeEscalation: false
                            readOnlyRootFilesystem: true
                            capabilities:
                              drop: ["ALL"]
                          resources:
                            requests:
                              cpu: 50m
                              memory: 256Mi
                            limits:
                              memory: 384Mi
                          startupProbe:
                            httpGet:
                              host: 127.0.0.1
                              path: /actuator/health/readiness
                              port: %5$d
                            periodSeconds: 1
                            failureThreshold: 60
                          readinessProbe:
                            httpGet:
                              host: 127.0.0.1
                              path: /actuator/health/readiness
                              port: %5$d
                            periodSeconds: 5
                          livenessProbe:
                            httpGet:
                              host: 127.0.0.1
                              path: /actuator/health/liveness
                              port: %5$d
                            periodSeconds: 10
                            failureThreshold: 6
                          volumeMounts:
                            - name: state
                              mountPath: /data
                            - name: socket
                              mountPath: %3$s
                            - name: tmp
                              mountPath: /tmp
                    %11$s\
                      volumes:
                        - name: state
                          hostPath:
                            path: %7$s
                            type: DirectoryOrCreate
                        - name: socket
                          hostPath:
                            path: %3$s
                            type: DirectoryOrCreate
                        - name: tmp
                          emptyDir: {}
                    %12$s""".formatted(image, issuer, socketDir, port, managementPort, socket, stateDir, JVM_OPTIONS,
                    replicas.header(), replicas.args(), replicas.mounts(), replicas.volumes()));
            return 0;
        }
    }

    /**
     * What the manifest adds for high availability: the etcd store, the local copy on the writable state volume
     * (the root file system is read-only), and read-only mounts of the node directories that hold the
     * key-encryption key and the etcd client files, at the same paths.
     */
    record Replicas(String endpoints, String encryptionKeyFile, String caFile, String certFile, String keyFile,
                    List<String> configDirs) {
        static final Replicas SINGLE = new Replicas(null, null, null, null, null, List.of());
        /** On the state volume: a replica must be able to write it, and find it again after a node restart. */
        static final String LOCAL_COPY = "/data/keyset.sealed";

        static Replicas of(String endpoints, String encryptionKeyFile, String caFile, String certFile, String keyFile) {
            // Refuse the endpoints the service would refuse (the other settings are the service's defaults).
            new EtcdSettings(EtcdSettings.parseEndpoints(endpoints), "/kube-oidc-issuer/", null, null, null, null, null,
                    java.time.Duration.ofSeconds(2));
            List<String> files = List.of(absolute("--encryption-key-file", encryptionKeyFile), absolute("--etcd-ca-file", caFile),
                    absolute("--etcd-cert-file", certFile), absolute("--etcd-key-file", keyFile));
            // Each file's directory, once, and not when a directory above it is mounted already.
            TreeSet<String> dirs = new TreeSet<>(files.stream().map(f -> Path.of(f).getParent().toString()).toList());
            List<String> mounted = dirs.stream().filter(d -> dirs.stream().noneMatch(o -> !o.equals(d)
                    && Path.of(d).startsWith(Path.of(o)))).toList();
            return new Replicas(endpoints.strip(), encryptionKeyFile, caFile, certFile, keyFile, mounted);
        }

        private static String absolute(String option, String file) {
            Path p = Path.of(file);
            if (!p.isAbsolute() || p.getParent() == null || p.getParent().getParent() == null) {
                throw new IllegalArgumentException(option + " '" + file + "' must be an absolute path to a file in a"
                        + " directory on the node, such as /etc/kube-oidc-issuer/kek");
            }
            return p.normalize().toString();
        }

        boolean ha() {
            return endpoints != null;
        }

        String header() {
            return !ha() ? "" : """
                    # High availability: render the same manifest on every control-plane node. The key-encryption key
                    # %s must be the same 32 bytes on every node, mode 0600; import existing keys once,
                    # from any node: issuer-service keys import --etcd-endpoints ... --encryption-key-file ... sa.key sa.pub
                    """.formatted(encryptionKeyFile);
        }

        String args() {
            if (!ha()) {
                return "        - --issuer.keys.directory=/data/keys\n";
            }
            return String.join("", List.of("        - --issuer.keys.store=etcd\n",
                    "        - --issuer.keys.encryption-key-file=" + encryptionKeyFile + "\n",
                    "        - --issuer.keys.local-copy=" + LOCAL_COPY + "\n",
                    "        - --issuer.keys.etcd.endpoints=" + endpoints + "\n",
                    "        - --issuer.keys.etcd.ca-file=" + caFile + "\n",
                    "        - --issuer.keys.etcd.cert-file=" + certFile + "\n",
                    "        - --issuer.keys.etcd.key-file=" + keyFile + "\n"));
        }

        String mounts() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < configDirs.size(); i++) {
                b.append("        - name: config-").append(i + 1).append("\n          mountPath: ").append(configDirs.get(i))
                        .append("\n          readOnly: true\n");
            }
            return b.toString();
        }

        String volumes() {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < configDirs.size(); i++) {
                b.append("    - name: config-").append(i + 1).append("\n      hostPath:\n        path: ")
                        .append(configDirs.get(i)).append("\n        type: Directory\n");
            }
            return b.toString();
        }
    }
}
