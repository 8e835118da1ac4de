package io.kubeoidc.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.service.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class StaticPodRenderTest {
    @SuppressWarnings("unchecked")
    private static <T> T at(Object node, Object... path) {
        Object cur = node;
        for (Object p : path) {
            cur = p instanceof Integer i ? ((List<Object>) cur).get(i) : ((Map<String, Object>) cur).get(p);
        }
        return (T) cur;
    }

    @Test
    void staticPodParsesAsAPodWithTheRightMountsAndProbes() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.commandLine(new PrintWriter(out), new PrintWriter(err))
                .execute("render", "static-pod", "--issuer", "https://oidc.example.com/cluster-a");
        assertThat(code).as(err.toString()).isZero();
        Map<String, Object> pod = new Yaml().load(out.toString());
        assertThat(pod).containsEntry("apiVersion", "v1").containsEntry("kind", "Pod");
        assertThat(at(pod, "metadata", "namespace").toString()).isEqualTo("kube-system");
        assertThat(at(pod, "spec", "hostNetwork").toString()).isEqualTo("true");
        assertThat(at(pod, "spec", "priorityClassName").toString()).isEqualTo("system-node-critical");
        Object c = at(pod, "spec", "containers", 0);
        List<String> args = at(c, "args");
        assertThat(args).contains("--issuer.url=https://oidc.example.com/cluster-a",
                "--issuer.signer.socket=/var/run/kube-oidc-issuer/signer.sock", "--management.server.port=8081");
        assertThat(at(c, "readinessProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/readiness");
        assertThat(at(c, "livenessProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/liveness");
        assertThat(at(c, "startupProbe", "httpGet", "port").toString()).isEqualTo("8081");
        assertThat(at(c, "securityContext", "readOnlyRootFilesystem").toString()).isEqualTo("true");
        List<Map<String, Object>> mounts = at(c, "volumeMounts");
        assertThat(mounts).extracting(m -> m.get("mountPath")).contains("/data", "/var/run/kube-oidc-issuer");
        List<Map<String, Object>> volumes = at(pod, "spec", "volumes");
        assertThat(volumes).extracting(v -> at(v, "hostPath") == null ? null : at(v, "hostPath", "path"))
                .contains("/var/lib/kube-oidc-issuer", "/var/run/kube-oidc-issuer");
    }

    private static Map<String, Object> render(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
        assertThat(code).as(err.toString()).isZero();
        return new Yaml().load(out.toString());
    }

    /** Every property the service writes under: on the read-only root these writes fail at run time. */
    private static final List<String> WRITTEN = List.of("--issuer.keys.directory", "--issuer.mirror.filesystem.directory",
            "--issuer.keys.local-copy", "--issuer.signer.socket");

    /**
     * Every file or directory the container's arguments name is under one of its volume mounts (the root file
     * system is read-only and holds nothing of the node's), each mount has a hostPath or emptyDir volume, and
     * every path the service writes is on a writable mount.
     */
    private static void assertEveryPathIsMounted(Map<String, Object> pod) {
        Object c = at(pod, "spec", "containers", 0);
        assertThat(at(c, "securityContext", "readOnlyRootFilesystem").toString()).isEqualTo("true");
        List<Map<String, Object>> mounts = at(c, "volumeMounts");
        Map<String, Map<String, Object>> volumes = new java.util.HashMap<>();
        for (Map<String, Object> v : List.<Map<String, Object>>copyOf(at(pod, "spec", "volumes"))) {
            volumes.put((String) v.get("name"), v);
        }
        for (Map<String, Object> m : mounts) {
            assertThat(volumes).as("volume for mount %s", m).containsKey((String) m.get("name"));
            Map<String, Object> v = volumes.get((String) m.get("name"));
            assertThat(v.containsKey("hostPath") || v.containsKey("emptyDir")).as("volume %s", v).isTrue();
        }
        List<String> args = at(c, "args");
        int paths = 0;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = arg.substring(0, eq);
            String value = arg.substring(eq + 1);
            if (!value.startsWith("/")) {
                continue;
            }
            paths++;
            java.nio.file.Path path = java.nio.file.Path.of(value);
            Map<String, Object> mount = mounts.stream()
                    .filter(m -> path.startsWith(java.nio.file.Path.of((String) m.get("mountPath"))))
                    .max(java.util.Comparator.comparingInt(m -> ((String) m.get("mountPath")).length())).orElse(null);
            assertThat(mount).as("%s names %s, which no volume mount holds (the root file system is read-only)", name, value)
                    .isNotNull();
            if (WRITTEN.contains(name)) {
                assertThat(mount.get("readOnly")).as("%s=%s is written by the service but mount %s is read-only", name,
                        value, mount.get("mountPath")).isNotEqualTo(true);
            }
        }
        assertThat(paths).isPositive();
    }

    @Test
    void everyPathTheSinglePodNamesIsOnAMountedVolume() {
        assertEveryPathIsMounted(render("render", "static-pod", "--issuer", "https://oidc.example.com/cluster-a"));
    }

    @Test
    void theHighAvailabilityVariantSharesEtcdAndKeepsItsLocalCopyOnTheStateVolume() {
        Map<String, Object> pod = render("render", "static-pod", "--issuer", "https://oidc.example.com/cluster-a",
                "--etcd-endpoints", "https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379");
        assertEveryPathIsMounted(pod);
        Object c = at(pod, "spec", "containers", 0);
        List<String> args = at(c, "args");
        assertThat(args).contains("--issuer.keys.store=etcd", "--issuer.keys.local-copy=/data/keyset.sealed",
                "--issuer.keys.encryption-key-file=/etc/kube-oidc-issuer/kek",
                "--issuer.keys.etcd.endpoints=https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379",
                "--issuer.keys.etcd.ca-file=/etc/kubernetes/pki/etcd/ca.crt",
                "--issuer.keys.etcd.cert-file=/etc/kubernetes/pki/kube-oidc-issuer-etcd-client.crt",
                "--issuer.keys.etcd.key-file=/etc/kubernetes/pki/kube-oidc-issuer-etcd-client.key");
        assertThat(args).noneMatch(a -> a.startsWith("--issuer.keys.directory="));
        List<Map<String, Object>> mounts = at(c, "volumeMounts");
        // The node's configuration directories, read-only, at the same paths; /etc/kubernetes/pki/etcd is inside pki.
        assertThat(mounts).filteredOn(m -> Boolean.TRUE.equals(m.get("readOnly"))).extracting(m -> m.get("mountPath"))
                .containsExactlyInAnyOrder("/etc/kube-oidc-issuer", "/etc/kubernetes/pki");
        List<Map<String, Object>> volumes = at(pod, "spec", "volumes");
        assertThat(volumes).extracting(v -> at(v, "hostPath") == null ? null : at(v, "hostPath", "path"))
                .contains("/var/lib/kube-oidc-issuer", "/etc/kube-oidc-issuer", "/etc/kubernetes/pki");
    }

    @Test
    void theHighAvailabilityVariantRefusesARelativeKeyFileAndABadEndpoint() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = Cli.commandLine(new PrintWriter(out), new PrintWriter(err));
        assertThat(cli.execute("render", "static-pod", "--issuer", "https://oidc.example.com", "--etcd-endpoints",
                "https://10.0.0.1:2379", "--encryption-key-file", "kek")).isEqualTo(1);
        assertThat(cli.execute("render", "static-pod", "--issuer", "https://oidc.example.com", "--etcd-endpoints",
                "etcd-1:2379")).isEqualTo(1);
        assertThat(err.toString()).contains("--encryption-key-file 'kek' must be an absolute path")
                .contains("etcd endpoint 'etcd-1:2379' must look like https://10.0.0.1:2379");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void anHttpIssuerIsRefused() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.commandLine(new PrintWriter(out), new PrintWriter(err))
                .execute("render", "static-pod", "--issuer", "http://oidc.example.com");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("must use the https scheme");
        assertThat(out.toString()).isEmpty();
    }
}
