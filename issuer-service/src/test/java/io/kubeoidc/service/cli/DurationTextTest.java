package io.kubeoidc.service.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationTextTest {

    @Test
    void durationsReadTheWayPeopleWriteThem() {
        assertThat(DurationText.format(Duration.parse("PT720H"))).isEqualTo("30 d");
        assertThat(DurationText.format(Duration.parse("PT0.198514915S"))).isEqualTo("199 ms");
        assertThat(DurationText.format(Duration.ofSeconds(3))).isEqualTo("3 s");
        assertThat(DurationText.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
        assertThat(DurationText.format(Duration.ofMinutes(90))).isEqualTo("1 h 30 min");
        assertThat(DurationText.format(Duration.ofHours(25))).isEqualTo("1 d 1 h");
        assertThat(DurationText.format(Duration.ofHours(24).plusSeconds(30))).isEqualTo("1 d");
        assertThat(DurationText.format(Duration.ofSeconds(125))).isEqualTo("2 min 5 s");
        assertThat(DurationText.format(Duration.ZERO)).isEqualTo("0 ms");
    }

    @Test
    void timesAreIsoToTheSecondWithARelativePart() {
        Instant now = Instant.parse("2026-01-01T00:00:00.123456789Z");
        assertThat(DurationText.timestamp(now)).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(DurationText.when(now.plus(Duration.ofDays(29)), now)).isEqualTo("2026-01-30T00:00:00Z (in 29 d)");
        assertThat(DurationText.when(now.minus(Duration.ofMinutes(125)), now)).isEqualTo("2025-12-31T21:55:00Z (2 h 5 min ago)");
        assertThat(DurationText.when(now.plusMillis(300), now)).isEqualTo("2026-01-01T00:00:00Z (now)");
        assertThat(DurationText.when(null, now)).isEqualTo("-");
    }

    @Test
    void optionsTakeWhatThePropertiesTake() {
        assertThat(DurationText.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(DurationText.parse("PT48H")).isEqualTo(Duration.ofHours(48));
        assertThatThrownBy(() -> DurationText.parse("0s")).isInstanceOf(TypeConversionException.class)
                .hasMessage("'0s' is not a positive duration (use 90s, 48h, 7d or PT48H)");
    }
}
