package io.kubeoidc.pem;

import java.util.List;
import java.util.stream.Collectors;

/** Everything found in one PEM source: usable keys and skipped blocks, both in file order. */
public record PemReadResult(String source, List<ParsedKey> keys, List<SkippedBlock> skipped) {

    public PemReadResult {
        keys = List.copyOf(keys);
        skipped = List.copyOf(skipped);
    }

    /** The keys, or an error naming the source and every skipped block when there are none. */
    public List<ParsedKey> requireKeys() {
        if (keys.isEmpty()) {
            String why = skipped.isEmpty() ? "it contains no PEM block"
                    : skipped.stream().map(SkippedBlock::toString).collect(Collectors.joining("; "));
            throw new KeyFileException(source + ": no usable key: " + why);
        }
        return keys;
    }
}
