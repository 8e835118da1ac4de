package io.kubeoidc.service.config;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Refuses an issuer.* property that does not exist (a typo such as issuer.urll would otherwise be ignored and
 * the development issuer started), naming the closest real one. The real names are the configuration
 * processor's metadata of {@link IssuerProperties}, in the jar. Environment variables are not checked:
 * Kubernetes adds ISSUER_* variables of its own for a Service named "issuer" (ISSUER_PORT, ISSUER_SERVICE_HOST).
 */
public class UnknownIssuerProperties implements EnvironmentPostProcessor, Ordered {
    static final String METADATA = "META-INF/spring-configuration-metadata.json";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        List<String> valid = validNames();
        if (valid.isEmpty()) {
            return; // no metadata (not built by Maven): nothing to compare with
        }
        for (PropertySource<?> source : env.getPropertySources()) {
            if (!(source instanceof EnumerablePropertySource<?> e) || source instanceof SystemEnvironmentPropertySource) {
                continue;
            }
            for (String name : e.getPropertyNames()) {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!lower.startsWith("issuer.") || lower.startsWith("issuer.internal.")) {
                    continue;
                }
                String canonical = listElement(canonical(name));
                if (valid.stream().noneMatch(v -> canonical(v).equals(canonical))) {
                    throw new InvalidConfigurationException(name + " is not a configuration property (set in "
                            + source.getName() + "); did you mean " + closest(canonical, valid) + "?",
                            "Fix the name; docs/configuration.md lists every issuer.* property.", null);
                }
            }
        }
    }

    /** Relaxed binding: issuer.allow-insecure-http, issuer.allowInsecureHttp and issuer.allow_insecure_http are one. */
    static String canonical(String name) {
        return name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    /**
     * A list is configured by index: issuer.additional-urls[0] is issuer.additional-urls, and each element of
     * issuer.mirror.additional-azure[N] has the properties of issuer.mirror.azure.
     */
    static String listElement(String canonical) {
        return canonical.replaceAll("\\[[0-9]+\\]$", "")
                .replaceFirst("^issuer\\.mirror\\.additionalazure\\[[0-9]+\\]\\.", "issuer.mirror.azure.");
    }

    static String closest(String canonical, List<String> valid) {
        String best = valid.get(0);
        int bestDistance = Integer.MAX_VALUE;
        for (String v : valid) {
            int d = levenshtein(canonical, canonical(v));
            if (d < bestDistance) {
                best = v;
                bestDistance = d;
            }
        }
        return best;
    }

    static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    /** issuer.* property names from every metadata file on the class path, sorted. */
    static List<String> validNames() {
        TreeSet<String> names = new TreeSet<>();
        try {
            for (URL url : Collections.list(UnknownIssuerProperties.class.getClassLoader().getResources(METADATA))) {
                try (InputStream in = url.openStream()) {
                    Map<String, Object> json = JSONObjectUtils.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    for (Object p : JSONObjectUtils.getJSONArray(json, "properties")) {
                        String name = String.valueOf(((Map<?, ?>) p).get("name"));
                        if (name.startsWith("issuer.")) {
                            names.add(name);
                        }
                    }
                }
            }
        } catch (IOException | java.text.ParseException e) {
            return List.of();
        }
        return List.copyOf(names);
    }

    /** After the configuration files are loaded, so their names are checked too. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE - 1;
    }
}
