package io.kubeoidc.service.migrate;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * One Kubernetes resource as read from a file: where it came from (for messages) and its body, a tree of maps,
 * lists and scalars as SnakeYAML built it.
 *
 * @param where the file and the document ("orders.yaml, document 2", "all.yaml, document 1, item 4")
 */
record Manifest(String where, Map<String, Object> body) {
    /** RFC 1123 subdomain (most object names) and label (namespaces), as kube-apiserver validates them. */
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    String kind() {
        return text(body.get("kind"));
    }

    String apiVersion() {
        return text(body.get("apiVersion"));
    }

    Map<String, Object> metadata() {
        return Tree.map(body.get("metadata"));
    }

    /**
     * The name, checked as kube-apiserver checks it: names end up in subjects, file comments and shell commands,
     * so anything the API server would never have stored is refused here.
     */
    String name() {
        return objectName("metadata.name", text(metadata().get("name")));
    }

    /** A field that names another object (a service account), checked like {@link #name()}. */
    String objectName(String field, String name) {
        if (name == null || name.length() > 253 || !SUBDOMAIN.matcher(name).matches()) {
            throw invalid(field + " " + quoted(name) + " is not a Kubernetes object name");
        }
        return name;
    }

    /** kubectl get -o yaml always prints it; without it the service account's subject would be a guess. */
    String namespace() {
        String ns = text(metadata().get("namespace"));
        if (ns == null) {
            throw invalid("has no metadata.namespace; export resources with kubectl get -o yaml, which includes it");
        }
        if (ns.length() > 63 || !LABEL.matcher(ns).matches()) {
            throw invalid("metadata.namespace " + quoted(ns) + " is not a Kubernetes namespace name");
        }
        return ns;
    }

    /** "orders.yaml, document 2: AzureIdentity shop/orders" for messages, as far as the resource is readable. */
    String describe() {
        String name = text(metadata().get("name"));
        String ns = text(metadata().get("namespace"));
        return where + ": " + kind() + (name == null ? "" : " " + (ns == null ? "" : ns + "/") + Text.printable(name));
    }

    MigrationInputException invalid(String problem) {
        return new MigrationInputException(describe() + ": " + problem);
    }

    static String text(Object value) {
        return value instanceof String || value instanceof Number || value instanceof Boolean ? value.toString() : null;
    }

    static String quoted(String s) {
        return s == null ? "(none)" : "'" + Text.printable(s) + "'";
    }
}
