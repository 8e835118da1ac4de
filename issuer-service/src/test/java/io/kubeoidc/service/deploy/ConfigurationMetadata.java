package io.kubeoidc.service.deploy;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Every property name Spring Boot's metadata knows: ours (generated from IssuerProperties) and Boot's own. */
final class ConfigurationMetadata {
    private ConfigurationMetadata() {}

    static Set<String> propertyNames() throws Exception {
        Set<String> names = new TreeSet<>();
        for (String resource : new String[] {"META-INF/spring-configuration-metadata.json",
                "META-INF/additional-spring-configuration-metadata.json"}) {
            for (URL url : Collections.list(ConfigurationMetadata.class.getClassLoader().getResources(resource))) {
                try (InputStream in = url.openStream()) {
                    Map<String, Object> json = JSONObjectUtils.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    for (Map<String, Object> p : JSONObjectUtils.getJSONObjectArray(json, "properties")) {
                        names.add((String) p.get("name"));
                    }
                }
            }
        }
        return names;
    }

    /**
     * The environment variable names Spring's relaxed binding maps to a property: upper case, '.' as '_', and
     * dashes either dropped (the documented form) or written as '_' (also accepted; checked against a real start).
     */
    static Set<String> environmentNames(String property) {
        String upper = property.toUpperCase(Locale.ROOT).replace('.', '_');
        return new TreeSet<>(java.util.List.of(upper.replace("-", ""), upper.replace('-', '_')));
    }
}
