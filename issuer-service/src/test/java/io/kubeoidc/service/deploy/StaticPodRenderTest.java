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
