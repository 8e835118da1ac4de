package io.kubeoidc.service.cli;

import com.nimbusds.jose.jwk.JWK;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A published JWKS read the lenient way doctor needs: every problem named, nothing thrown. Nimbus's
 * {@code JWKSet.parse} stops at the first bad member; a relying party skips a key it cannot read, so doctor
 * reports each one and still checks the others.
 *
 * @param shapeProblem why the document has no key list at all, or null
 * @param keys         the keys that parse, in document order
 * @param unreadable   one line per entry that does not, naming the entry and the missing or bad member
 */
record PublishedJwks(String shapeProblem, List<JWK> keys, List<String> unreadable) {

    int entries() {
        return keys.size() + unreadable.size();
    }

    static PublishedJwks read(Map<String, Object> document) {
        Object list = document.get("keys");
        if (!(list instanceof List<?> entries)) {
            return new PublishedJwks(list == null ? "it has no 'keys' member"
                    : "'keys' is " + jsonType(list) + ", not an array", List.of(), List.of());
        }
        List<JWK> keys = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String problem = problem(entries.get(i));
            if (problem == null) {
                try {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> member = (Map<String, Object>) entries.get(i);
                    keys.add(JWK.parse(member));
                    continue;
                } catch (java.text.ParseException e) {
                    problem = e.getMessage();
                }
            }
            unreadable.add("key " + (i + 1) + kidOf(entries.get(i)) + ": " + problem);
        }
        return new PublishedJwks(null, List.copyOf(keys), List.copyOf(unreadable));
    }

    /** The members kube-apiserver publishes and a relying party needs to match a token and verify it. */
    private static String problem(Object entry) {
        if (!(entry instanceof Map<?, ?> key)) {
            return "is " + jsonType(entry) + ", not a JSON object";
        }
        List<String> missing = new ArrayList<>();
        required(key, "kty", missing);
        required(key, "kid", missing);
        Object kty = key.get("kty");
        if ("RSA".equals(kty)) {
            required(key, "n", missing);
            required(key, "e", missing);
        } else if ("EC".equals(kty)) {
            required(key, "crv", missing);
            required(key, "x", missing);
            required(key, "y", missing);
        }
        return missing.isEmpty() ? null : "no " + String.join(", no ", missing);
    }

    private static void required(Map<?, ?> key, String member, List<String> missing) {
        if (!(key.get(member) instanceof String s) || s.isEmpty()) {
            missing.add("'" + member + "'");
        }
    }

    private static String kidOf(Object entry) {
        return entry instanceof Map<?, ?> m && m.get("kid") instanceof String kid && !kid.isEmpty() ? " (kid " + kid + ")" : "";
    }

    static String jsonType(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof List) {
            return "an array";
        }
        return "an object";
    }
}
