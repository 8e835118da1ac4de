package io.kubeoidc.service.cli;

import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --output text|json}: a table for people, or the documented JSON document (docs/keys.md) for scripts. */
final class OutputOption {
    static final List<String> FORMATS = List.of("text", "json");

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", converter = Format.class,
            completionCandidates = Candidates.class,
            description = "text (default) or json: the document described in docs/keys.md (JSON output).")
    String format;

    boolean json() {
        return "json".equals(format);
    }

    /** Anything else is a usage error (exit 2) that names the allowed values. */
    static final class Format implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!FORMATS.contains(value)) {
                throw new TypeConversionException("'" + value + "' is not an output format; use one of " + FORMATS);
            }
            return value;
        }
    }

    static final class Candidates implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return FORMATS.iterator();
        }
    }
}
