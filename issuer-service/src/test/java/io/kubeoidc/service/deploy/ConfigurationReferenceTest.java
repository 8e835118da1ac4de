package io.kubeoidc.service.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/configuration.md and the real properties cannot drift apart. */
class ConfigurationReferenceTest {
    static final Path DOC = Path.of("../docs/configuration.md");

    /** First-column property names of the reference table; "a.b / .c" cells expand to a.b and a.c. */
    static Set<String> documented() throws Exception {
        Set<String> names = new TreeSet<>();
        Pattern row = Pattern.compile("^\\| (`[^|]+) \\|");
        for (String line : Files.readAllLines(DOC)) {
            Matcher m = row.matcher(line);
            if (!m.find()) {
                continue;
            }
            String base = null;
            for (String cell : m.group(1).split(" / ")) {
                String name = cell.replace("`", "").strip();
                if (name.startsWith(".") && base != null) {
                    name = base.substring(0, base.lastIndexOf('.')) + name;
                }
                if (name.matches("[a-z][a-z0-9-]*(\\.[a-z0-9-]+)+")) { // a property, not a path in another table
                    names.add(name);
                    base = name;
                }
            }
        }
        return names;
    }

    @Test
    void everyDocumentedPropertyExistsAndEveryIssuerPropertyIsDocumented() throws Exception {
        Set<String> metadata = ConfigurationMetadata.propertyNames();
        Set<String> documented = documented();
        assertThat(documented).hasSizeGreaterThan(25);
        assertThat(metadata).as("documented in %s but not a real property", DOC).containsAll(documented);
        Set<String> ours = new TreeSet<>(metadata);
        ours.removeIf(n -> !n.startsWith("issuer."));
        assertThat(documented).as("issuer.* properties missing from %s", DOC).containsAll(ours);
    }
}
