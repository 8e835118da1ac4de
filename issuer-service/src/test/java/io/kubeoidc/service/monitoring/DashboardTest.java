package io.kubeoidc.service.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * monitoring/dashboard.json: a Grafana dashboard whose every query panel reads the ${datasource} variable, with unique
 * ids, a non-overlapping layout, and PromQL that the real promtool parses.
 */
class DashboardTest {
    private static final String DATASOURCE = "${datasource}";

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> panels() throws Exception {
        // A strict JSON parser (YAML would accept more than Grafana does).
        Map<String, Object> d = JSONObjectUtils.parse(MonitoringFiles.read(MonitoringFiles.DASHBOARD));
        return (List<Map<String, Object>>) (List<?>) d.get("panels");
    }

    @Test
    @SuppressWarnings("unchecked")
    void isADashboardWithADatasourceVariable() throws Exception {
        Map<String, Object> d = JSONObjectUtils.parse(MonitoringFiles.read(MonitoringFiles.DASHBOARD));
        assertThat(((Number) d.get("schemaVersion")).intValue()).isEqualTo(39);
        assertThat((String) d.get("uid")).isNotBlank();
        List<Map<String, Object>> vars = (List<Map<String, Object>>) ((Map<String, Object>) d.get("templating")).get("list");
        assertThat(vars).anySatisfy(v -> assertThat(v).containsEntry("name", "datasource").containsEntry("type", "datasource")
                .containsEntry("query", "prometheus"));
        for (Map<String, Object> v : vars) {
            if (v.containsKey("datasource")) {
                assertThat(((Map<String, Object>) v.get("datasource")).get("uid")).as("variable %s", v.get("name")).isEqualTo(DATASOURCE);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyPanelQueriesTheDatasourceVariableWithUniqueIds() throws Exception {
        Set<Object> ids = new HashSet<>();
        int queries = 0;
        for (Map<String, Object> p : panels()) {
            assertThat(ids.add(p.get("id"))).as("duplicate panel id %s", p.get("id")).isTrue();
            assertThat((String) p.get("title")).isNotBlank();
            if ("row".equals(p.get("type"))) {
                continue; // a row only groups panels; it queries nothing
            }
            String title = (String) p.get("title");
            assertThat(((Map<String, Object>) p.get("datasource")).get("uid")).as(title).isEqualTo(DATASOURCE);
            List<Map<String, Object>> targets = (List<Map<String, Object>>) p.get("targets");
            assertThat(targets).as(title).isNotEmpty();
            Set<Object> refIds = new HashSet<>();
            for (Map<String, Object> t : targets) {
                assertThat(refIds.add(t.get("refId"))).as("%s: duplicate refId", title).isTrue();
                assertThat(((Map<String, Object>) t.get("datasource")).get("uid")).as(title).isEqualTo(DATASOURCE);
                assertThat((String) t.get("expr")).as(title).isNotBlank();
                queries++;
            }
        }
        assertThat(queries).isGreaterThan(10);
    }

    @Test
    @SuppressWarnings("unchecked")
    void panelsDoNotOverlapOnTheGrid() throws Exception {
        List<int[]> boxes = new ArrayList<>();
        for (Map<String, Object> p : panels()) {
            Map<String, Object> g = (Map<String, Object>) p.get("gridPos");
            int x = ((Number) g.get("x")).intValue(), y = ((Number) g.get("y")).intValue();
            int w = ((Number) g.get("w")).intValue(), h = ((Number) g.get("h")).intValue();
            assertThat(x + w).as("%s is wider than the grid", p.get("title")).isLessThanOrEqualTo(24);
            for (int[] b : boxes) {
                boolean overlap = x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                assertThat(overlap).as("%s overlaps another panel", p.get("title")).isFalse();
            }
            boxes.add(new int[] {x, y, w, h});
        }
    }

    /** Grafana's variables replaced as it would, each query must be PromQL that promtool parses. */
    @Test
    void everyQueryIsPromqlThatPromtoolParses(@TempDir Path dir) throws Exception {
        List<String> exprs = MonitoringFiles.dashboardExpressions();
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            String promql = exprs.get(i).replace("$__rate_interval", "5m").replace("$job", ".*");
            assertThat(promql).as("an unknown variable in %s", exprs.get(i)).doesNotContain("$");
            rules.append("      - record: dashboard:query").append(i).append("\n        expr: '")
                    .append(promql.replace("'", "''")).append("'\n");
        }
        Files.writeString(dir.resolve("dashboard-queries.yaml"), rules);
        AlertRulesTest.Result r = AlertRulesTest.promtool(dir, "check", "rules", "dashboard-queries.yaml");
        assertThat(r.exit()).as(r.out()).isZero();
        assertThat(r.out()).contains("SUCCESS: " + exprs.size() + " rules found");
    }

    @Test
    void coversWhatAnOperatorWatches() throws Exception {
        Set<String> metrics = MonitoringFiles.metricNames();
        assertThat(metrics).contains("issuer_keys_state", "issuer_rotation_gate_confirmed", "issuer_mirror_verified",
                "issuer_signer_sign_duration_seconds_bucket", "issuer_signer_errors_total", "issuer_http_requests_total",
                "issuer_http_connections_refused_total", "issuer_ha_leader", "issuer_ha_degraded");
        Set<String> types = panels().stream().map(p -> (String) p.get("type")).collect(Collectors.toSet());
        assertThat(types).contains("state-timeline", "timeseries");
    }
}
