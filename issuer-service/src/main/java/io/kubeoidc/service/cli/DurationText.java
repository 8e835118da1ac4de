package io.kubeoidc.service.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.convert.DurationStyle;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations and times for people. Parsing accepts what the service's properties accept (90s, 48h, 7d, or
 * ISO-8601 PT48H); output reads "30 d", "1 h 30 min", "199 ms", and times are ISO-8601 to the second with a
 * relative part ("in 29 d", "2 h ago"). Audit lines keep the ISO-8601 forms.
 */
final class DurationText {
    private DurationText() {}

    static Duration parse(String text) {
        try {
            Duration d = DurationStyle.detectAndParse(text);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("must be positive");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + text + "' is not a positive duration (use 90s, 48h, 7d or PT48H)");
        }
    }

    /** For options: a bad value is a usage error (exit 2), found before anything is read or written. */
    static final class Positive implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }
    }

    /** The two largest units: "30 d", "1 d 2 h", "5 min 3 s"; under a second in ms, under a minute in s. */
    static String format(Duration d) {
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            return Math.round(d.toNanos() / 1e6) + " ms";
        }
        if (d.compareTo(Duration.ofMinutes(1)) < 0) {
            long tenths = Math.round(d.toMillis() / 100.0);
            return (tenths % 10 == 0 ? Long.toString(tenths / 10) : tenths / 10 + "." + tenths % 10) + " s";
        }
        List<String> parts = new ArrayList<>();
        long[] amounts = {d.toDays(), d.toHoursPart(), d.toMinutesPart(), d.toSecondsPart()};
        String[] units = {"d", "h", "min", "s"};
        for (int i = 0; i < amounts.length && parts.size() < 2; i++) {
            if (amounts[i] > 0) {
                parts.add(amounts[i] + " " + units[i]);
            } else if (!parts.isEmpty()) {
                break; // "1 d", not "1 d 0 h"; and never skip a unit ("1 d 30 s" would mislead at a glance)
            }
        }
        return String.join(" ", parts);
    }

    /** "in 29 d", "2 h 5 min ago", "now": how far {@code at} is from {@code now}, to the second. */
    static String relative(Instant at, Instant now) {
        Duration d = Duration.between(now, at).truncatedTo(ChronoUnit.SECONDS);
        if (d.isZero()) {
            return "now";
        }
        return d.isNegative() ? format(d.negated()) + " ago" : "in " + format(d);
    }

    /** ISO-8601 to the second, so columns line up: 2026-01-05T10:00:00Z. */
    static String timestamp(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A timestamp and how far it is from now: "2026-01-05T10:00:00Z (in 29 d)"; "-" for none. */
    static String when(Instant at, Instant now) {
        return at == null ? "-" : timestamp(at) + " (" + relative(at, now) + ")";
    }
}
