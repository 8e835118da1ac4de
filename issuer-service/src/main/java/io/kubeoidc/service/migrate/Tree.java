package io.kubeoidc.service.migrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Navigating and copying the maps and lists SnakeYAML builds. */
final class Tree {
    private Tree() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** The child map at a path, created where missing (for a copy that is being rewritten). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> child(Map<String, Object> root, List<String> path) {
        Map<String, Object> at = root;
        for (String key : path) {
            Object next = at.get(key);
            if (!(next instanceof Map<?, ?>)) {
                next = new LinkedHashMap<String, Object>();
                at.put(key, next);
            }
            at = (Map<String, Object>) next;
        }
        return at;
    }

    static Map<String, Object> at(Map<String, Object> root, List<String> path) {
        Map<String, Object> at = root;
        for (String key : path) {
            at = map(at.get(key));
        }
        return at;
    }

    /**
     * A field of a custom resource's spec the way MIC reads it: Go's encoding/json matches keys case-insensitively,
     * so a stored {@code clientid} or {@code ClientID} worked in the cluster and must work here (exact match first).
     */
    static Object field(Map<String, Object> spec, String name) {
        if (spec.containsKey(name)) {
            return spec.get(name);
        }
        return spec.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                .findFirst().orElse(null);
    }

    @SuppressWarnings("unchecked")
    static <T> T deepCopy(T value) {
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            m.forEach((k, v) -> copy.put(k, deepCopy(v)));
            return (T) copy;
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>();
            l.forEach(v -> copy.add(deepCopy(v)));
            return (T) copy;
        }
        return value;
    }
}
