package io.kubeoidc.service.monitoring;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/** monitoring/alerts.yaml and monitoring/dashboard.json as the tests read them, and the metric names they use. */
public final class MonitoringFiles {
    public static final Path DIR = Path.of("../monitoring");
    public static final Path ALERTS = DIR.resolve("alerts.yaml");
    public static final Path ALERT_TESTS = DIR.resolve("alerts.test.yaml");
    public static final Path DASHBOARD = DIR.resolve("dashboard.json");

    /** Series Prometheus makes itself from the scrape, not the service. */
    private static final Set<String> SCRAPE_SERIES = Set.of("up");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private MonitoringFiles() {}

    public static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** YAML or JSON (YAML reads JSON too). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(Path p) {
        return (Map<String, Object>) new Yaml().load(read(p));
    }

    /** Every rule of alerts.yaml, in order. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> rules() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> g : (List<Map<String, Object>>) load(ALERTS).get("groups")) {
            out.addAll((List<Map<String, Object>>) g.get("rules"));
        }
        return out;
    }

    /** Every PromQL expression of the dashboard's panels, and the series of its variables' label_values(...). */
    @SuppressWarnings("unchecked")
    public static List<String> dashboardExpressions() {
        Map<String, Object> dashboard = load(DASHBOARD);
        List<String> out = new ArrayList<>();
        for (Map<String, Object> panel : (List<Map<String, Object>>) dashboard.get("panels")) {
            for (Map<String, Object> t : (List<Map<String, Object>>) panel.getOrDefault("targets", List.of())) {
                out.add((String) t.get("expr"));
            }
        }
        for (Map<String, Object> v : (List<Map<String, Object>>) ((Map<String, Object>) dashboard.get("templating")).get("list")) {
            Matcher m = LABEL_VALUES.matcher(String.valueOf(v.get("definition")));
            if (m.matches()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*\\w+\\)");

    /** The metric names of the service that the rules and the dashboard query. */
    public static Set<String> metricNames() {
        Set<String> names = new LinkedHashSet<>();
        rules().forEach(r -> names.addAll(metricNames((String) r.get("expr"))));
        dashboardExpressions().forEach(e -> names.addAll(metricNames(e)));
        return names;
    }

    /**
     * The series names in one PromQL expression: identifiers that are not inside strings, label matchers, ranges or
     * grouping clauses, not functions (followed by a parenthesis), not keywords, and not Prometheus's own series.
     */
    static Set<String> metricNames(String promql) {
        String s = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String id = m.group();
            boolean function = s.substring(m.end()).stripLeading().startsWith("(");
            boolean number = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
            if (!function && !number && !KEYWORDS.contains(id) && !SCRAPE_SERIES.contains(id)) {
                names.add(id);
            }
        }
        return names;
    }
}
