package io.kubeoidc.service.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The fault suite's scale and its report. CI runs the fast scale inside `./mvnw verify`; `fault/run`
 * passes {@code -Dfault.scale=full} for the long runs (100+ crashes, long outages, 5 minutes of load).
 * Each fault test writes its numbers to {@code target/fault-report/NAME.md}, which fault/run collects.
 */
final class FaultRun {
    private FaultRun() {}

    static boolean full() {
        return "full".equals(System.getProperty("fault.scale", "fast"));
    }

    static int scaled(int fast, int full) {
        return full() ? full : fast;
    }

    static Duration scaled(Duration fast, Duration full) {
        return full() ? full : fast;
    }

    /** Writes this test's section of the fault report (and echoes it to the test output). */
    static void report(String name, List<String> lines) {
        String text = "## " + name + " (" + (full() ? "full" : "fast") + " scale)\n\n" + String.join("\n", lines) + "\n";
        System.out.println(text);
        try {
            Path dir = Files.createDirectories(Path.of("target", "fault-report"));
            Files.writeString(dir.resolve(name.replaceAll("[^A-Za-z0-9-]", "-") + ".md"), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
