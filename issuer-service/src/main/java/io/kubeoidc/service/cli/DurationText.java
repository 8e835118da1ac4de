package io.kubeoidc.service.cli;

import java.time.Duration;
import org.springframework.boot.convert.DurationStyle;

/** Durations as the service's properties accept them: 90s, 48h, 7d, or ISO-8601 (PT48H). */
final class DurationText {
    private DurationText() {}

    static Duration parse(String option, String text) {
        try {
            Duration d = DurationStyle.detectAndParse(text);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("must be positive");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " '" + text + "' is not a positive duration (use 90s, 48h, 7d or PT48H)");
        }
    }
}
