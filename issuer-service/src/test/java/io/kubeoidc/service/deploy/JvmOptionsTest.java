package io.kubeoidc.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeoidc.service.cli.Cli;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * One set of JVM options wherever the service runs: the image (Dockerfile), the static pod, the Helm chart and
 * the systemd unit in docs/deployment.md, which also explains them. bench/run measures the Dockerfile's line.
 * Only java.io.tmpdir may differ (it follows each one's writable directory).
 */
class JvmOptionsTest {
    static final Path ROOT = Path.of("..");

    static List<String> options(String line) {
        return Arrays.stream(line.trim().split("\\s+")).filter(o -> !o.startsWith("-Djava.io.tmpdir=")).toList();
    }

    static String find(Path file, String regex) throws Exception {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(Files.readString(file));
        assertThat(m.find()).as("%s in %s", regex, file).isTrue();
        return m.group(1);
    }

    static List<String> image() throws Exception {
        return options(find(ROOT.resolve("Dockerfile"), "^ENV JAVA_TOOL_OPTIONS=\"([^\"]*)\""));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> staticPodContainer() {
        StringWriter out = new StringWriter();
        int code = Cli.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter()))
                .execute("render", "static-pod", "--issuer", "https://oidc.example.com/cluster-a");
        assertThat(code).isZero();
        Map<String, Object> pod = new Yaml().load(out.toString());
        return ((List<Map<String, Object>>) ((Map<String, Object>) pod.get("spec")).get("containers")).get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> helmValues() throws Exception {
        try (Reader r = Files.newBufferedReader(ROOT.resolve("helm/kube-oidc-issuer/values.yaml"))) {
            return new Yaml().load(r);
        }
    }

    @SuppressWarnings("unchecked")
    static String memory(Map<String, Object> resources, String kind) {
        return (String) ((Map<String, Object>) resources.get(kind)).get("memory");
    }

    static long mebibytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Mi|Gi|m|g|M|G)").matcher(quantity);
        assertThat(m.matches()).as(quantity).isTrue();
        long n = Long.parseLong(m.group(1));
        return m.group(2).equalsIgnoreCase("g") || m.group(2).equals("Gi") ? n * 1024 : n;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theImageTheStaticPodTheChartAndTheSystemdUnitRunTheSameOptions() throws Exception {
        List<String> image = image();
        assertThat(image).contains("-XX:+UseSerialGC").anyMatch(o -> o.startsWith("-Xmx"))
                // C1 only (TieredStopAtLevel=1) starts faster but signs several times slower: docs/deployment.md.
                .noneMatch(o -> o.startsWith("-XX:TieredStopAtLevel"))
                // A percentage of the RAM is a percentage of the whole host without a container limit.
                .noneMatch(o -> o.contains("RAMPercentage"));

        List<Map<String, Object>> env = (List<Map<String, Object>>) staticPodContainer().get("env");
        String pod = env.stream().filter(e -> "JAVA_TOOL_OPTIONS".equals(e.get("name"))).map(e -> (String) e.get("value"))
                .findFirst().orElseThrow();
        assertThat(options(pod)).as("static pod").isEqualTo(image);
        assertThat(options((String) helmValues().get("jvmOptions"))).as("helm values.yaml jvmOptions").isEqualTo(image);
        String unit = find(ROOT.resolve("docs/deployment.md"), "^ExecStart=/usr/bin/java (.*?) -jar ");
        assertThat(options(unit.replaceAll("@\\S+", ""))).as("systemd unit in docs/deployment.md").isEqualTo(image);
        assertThat(Files.readString(ROOT.resolve("docs/deployment.md"))).contains(String.join(" ", image));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theHeapLeavesRoomForTheRestOfTheProcessUnderEveryMemoryLimit() throws Exception {
        long heap = mebibytes(image().stream().filter(o -> o.startsWith("-Xmx")).findFirst().orElseThrow().substring(4));
        Map<String, Object> podResources = (Map<String, Object>) staticPodContainer().get("resources");
        Map<String, Object> chartResources = (Map<String, Object>) helmValues().get("resources");
        for (Map<String, Object> r : List.of(podResources, chartResources)) {
            // Measured (docs/benchmarks.md): about 120 MiB besides the heap (classes, code, threads, buffers).
            assertThat(mebibytes(memory(r, "limits"))).isGreaterThanOrEqualTo(heap + 192);
            assertThat(mebibytes(memory(r, "requests"))).isGreaterThanOrEqualTo(heap + 96);
        }
        assertThat(chartResources).isEqualTo(podResources);
        Map<String, Object> compose;
        try (Reader r = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
            compose = new Yaml().load(r);
        }
        Map<String, Object> issuer = (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get("issuer");
        assertThat(mebibytes((String) issuer.get("mem_limit"))).isEqualTo(mebibytes(memory(podResources, "limits")));
    }

    @Test
    void theImageTrainsItsArchiveWithTheScriptBenchRunTests() throws Exception {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        Path script = Path.of("src/main/docker/app-cds.sh");
        assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
        assertThat(dockerfile)
                .contains("app-cds.sh extract issuer-service/target/issuer-service.jar /layers")
                .contains("COPY issuer-service/src/main/docker/app-cds.sh /opt/issuer/app-cds.sh")
                .contains("RUN /opt/issuer/app-cds.sh train /opt/issuer && test -z \"$(ls -A /data)\"")
                .contains("exec java @/opt/issuer/jvm.args -jar /opt/issuer/issuer-service.jar");
        // The training must run with the options the service runs with: ENV before the RUN.
        assertThat(dockerfile.indexOf("ENV JAVA_TOOL_OPTIONS=")).isLessThan(dockerfile.indexOf("app-cds.sh train"));
        for (String layer : List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application")) {
            assertThat(dockerfile).contains("COPY --from=build /layers/" + layer + "/ /opt/issuer/");
        }
    }
}
