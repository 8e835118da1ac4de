package io.kubeoidc.service.cli;

import io.kubeoidc.documents.IssuerConfig;
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

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            IssuerConfig.of(issuer, null, false); // refuse what kube-apiserver and Entra would refuse
            String socket = socketDir + "/signer.sock";
            spec.commandLine().getOut().print("""
                    # kube-oidc-issuer as a static pod: /etc/kubernetes/manifests/kube-oidc-issuer.yaml
                    # kube-apiserver: --service-account-signing-endpoint=%6$s (mount %3$s into it as well)
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
                            - --issuer.keys.directory=/data/keys
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
                    """.formatted(image, issuer, socketDir, port, managementPort, socket, stateDir, JVM_OPTIONS));
            return 0;
        }
    }
}
