package io.kubeoidc.service.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * monitoring/alerts.yaml through the real promtool (Debian's prometheus package, which test.sh installs): the rules
 * parse, and alerts.test.yaml's unit tests fire and clear every alert on synthetic series.
 */
class AlertRulesTest {
    record Result(int exit, String out) {}

    static Result promtool(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(promtoolBinary()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    private static String promtoolBinary() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "promtool"))) {
                return Path.of(d, "promtool").toString();
            }
        }
        throw new IllegalStateException("promtool is missing: ./test.sh installs Debian's prometheus package for it");
    }

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        Result r = promtool(MonitoringFiles.DIR, "check", "rules", "alerts.yaml");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("SUCCESS: " + MonitoringFiles.rules().size() + " rules found");
    }

    @Test
    void promtoolUnitTestsPass() throws Exception {
        Result r = promtool(MonitoringFiles.DIR, "test", "rules", "alerts.test.yaml");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("SUCCESS").doesNotContain("FAILED");
    }

    /** The runner is not a rubber stamp: a test expecting an alert that does not fire makes promtool fail. */
    @Test
    void promtoolFailsAWrongExpectation(@TempDir Path dir) throws Exception {
        Files.copy(MonitoringFiles.ALERTS, dir.resolve("alerts.yaml"));
        String tests = MonitoringFiles.read(MonitoringFiles.ALERT_TESTS);
        // IssuerDown is still pending at 12m; expecting it then is wrong.
        String wrong = tests.replaceFirst("(?s)(- eval_time: 12m\\s+alertname: IssuerDown\\s+)exp_alerts: \\[]",
                "$1exp_alerts:\n          - exp_labels: {severity: critical, job: oidc-kube-oidc-issuer, instance: \"10.0.0.1:8081\"}");
        assertThat(wrong).isNotEqualTo(tests);
        Files.writeString(dir.resolve("alerts.test.yaml"), wrong);
        Result r = promtool(dir, "test", "rules", "alerts.test.yaml");
        assertThat(r.exit()).as(r.out()).isNotZero();
        assertThat(r.out()).contains("FAILED").contains("alertname: IssuerDown, time: 12m");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertFiresAndClearsInTheUnitTests() {
        Set<String> fired = new TreeSet<>();
        Set<String> cleared = new TreeSet<>();
        for (Map<String, Object> test : (List<Map<String, Object>>) MonitoringFiles.load(MonitoringFiles.ALERT_TESTS).get("tests")) {
            Map<String, Long> firstFiring = new java.util.HashMap<>();
            for (Map<String, Object> eval : (List<Map<String, Object>>) test.get("alert_rule_test")) {
                String name = (String) eval.get("alertname");
                long at = minutes((String) eval.get("eval_time"));
                boolean firing = !((List<Object>) eval.get("exp_alerts")).isEmpty();
                if (firing) {
                    fired.add(name);
                    firstFiring.merge(name, at, Math::min);
                }
            }
            for (Map<String, Object> eval : (List<Map<String, Object>>) test.get("alert_rule_test")) {
                String name = (String) eval.get("alertname");
                Long fire = firstFiring.get(name);
                if (fire != null && ((List<Object>) eval.get("exp_alerts")).isEmpty()
                        && minutes((String) eval.get("eval_time")) > fire) {
                    cleared.add(name);
                }
            }
        }
        Set<String> alerts = MonitoringFiles.rules().stream().map(r -> (String) r.get("alert")).collect(Collectors.toCollection(TreeSet::new));
        assertThat(fired).as("alerts that some unit test makes fire").isEqualTo(alerts);
        assertThat(cleared).as("alerts that some unit test sees clear after firing").isEqualTo(alerts);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyAlertHasSeveritySummaryDescriptionAndARunbookSection() {
        String runbook = MonitoringFiles.read(Path.of("../docs/alerts.md"));
        for (Map<String, Object> rule : MonitoringFiles.rules()) {
            String name = (String) rule.get("alert");
            Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
            Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
            assertThat(labels.get("severity")).as(name).isIn("critical", "warning");
            assertThat((String) annotations.get("summary")).as(name).isNotBlank();
            assertThat((String) annotations.get("description")).as(name).isNotBlank();
            assertThat((String) annotations.get("runbook_url")).as(name)
                    .isEqualTo("https://github.com/kube-oidc-issuer/kube-oidc-issuer/blob/main/docs/alerts.md#" + name.toLowerCase());
            // GitHub's anchor for "## Name" is the lower-cased name.
            assertThat(runbook).as("docs/alerts.md section for %s", name).contains("\n## " + name + "\n");
        }
    }

    @Test
    void metricNamesAreReadFromPromql() {
        assertThat(MonitoringFiles.metricNames(
                "sum by (le) (rate(issuer_signer_sign_duration_seconds_bucket{alg=\"RS256\", x=~\"a{1}\"}[$__rate_interval]))"
                        + " / on (job) group_left () issuer_rotation_max_keys > 0.8 * up{job=~\".*\"} offset 5m"))
                .containsExactly("issuer_signer_sign_duration_seconds_bucket", "issuer_rotation_max_keys");
    }

    private static long minutes(String duration) {
        assertThat(duration).matches("\\d+m");
        return Long.parseLong(duration.substring(0, duration.length() - 1));
    }
}
