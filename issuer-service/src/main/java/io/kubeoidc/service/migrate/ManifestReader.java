package io.kubeoidc.service.migrate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Resources from files as {@code kubectl get ... -o yaml} prints them: one document, several separated by
 * {@code ---}, or a {@code kind: List} whose items are the resources.
 */
public final class ManifestReader {
    private ManifestReader() {}

    /** Large enough for {@code kubectl get pods -A -o yaml} of a big cluster; SnakeYAML's default is 3 MB. */
    private static final int MAX_CODE_POINTS = 64 * 1024 * 1024;

    public static List<Manifest> read(Path file) {
        String text = decode(file, readBytes(file));
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false); // which of two values kube-apiserver kept is unknowable
        options.setCodePointLimit(MAX_CODE_POINTS);
        Yaml yaml = new Yaml(new SafeConstructor(options)); // plain maps and lists only: no tags that build objects
        List<Manifest> manifests = new ArrayList<>();
        int document = 0;
        try {
            for (Object doc : yaml.loadAll(text)) {
                document++;
                if (doc == null) {
                    continue; // an empty document, as a trailing --- leaves
                }
                String where = file + ", document " + document;
                Manifest m = resource(where, doc);
                if ("List".equals(m.kind())) {
                    Object items = m.body().get("items");
                    if (!(items instanceof List<?> list)) {
                        throw m.invalid("has no items list");
                    }
                    for (int i = 0; i < list.size(); i++) {
                        manifests.add(resource(where + ", item " + (i + 1), list.get(i)));
                    }
                } else {
                    manifests.add(m);
                }
            }
        } catch (MarkedYAMLException e) {
            var mark = e.getProblemMark();
            throw new MigrationInputException(file + ": not YAML: " + e.getProblem()
                    + (mark == null ? "" : " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")"));
        } catch (YAMLException e) {
            throw new MigrationInputException(file + ": not YAML: " + Text.printable(String.valueOf(e.getMessage())));
        }
        if (manifests.isEmpty()) {
            throw new MigrationInputException(file + ": holds no resource");
        }
        return manifests;
    }

    private static Manifest resource(String where, Object doc) {
        if (!(doc instanceof Map<?, ?>) || Manifest.text(Tree.map(doc).get("kind")) == null
                || Manifest.text(Tree.map(doc).get("apiVersion")) == null) {
            throw new MigrationInputException(where + ": not a Kubernetes resource (a mapping with apiVersion and kind)");
        }
        return new Manifest(where, Tree.map(doc));
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new MigrationInputException(file + ": cannot read: no such file");
        } catch (AccessDeniedException e) {
            throw new MigrationInputException(file + ": cannot read: permission denied");
        } catch (IOException e) {
            throw new MigrationInputException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static String decode(Path file, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MigrationInputException(file + ": not YAML: not UTF-8 text");
        }
    }
}
