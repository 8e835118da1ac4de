package io.kubeoidc.service.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A stand-in for a command-line tool (az) on PATH that records the argument vector of every call, byte for byte
 * (NUL-separated, so no quoting of ours sits between what the shell passed and what the test reads), and succeeds.
 */
final class RecordingCommand {
    private final Path bin;
    private final Path calls;

    private RecordingCommand(Path bin, Path calls) {
        this.bin = bin;
        this.calls = calls;
    }

    /** Installs {@code name} in {@code dir}/bin; calls are recorded under {@code dir}/calls. */
    static RecordingCommand install(Path dir, String name) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path calls = Files.createDirectories(dir.resolve("calls"));
        Path script = bin.resolve(name);
        Files.writeString(script, """
                #!/bin/bash
                n=$(ls '%1$s' | wc -l)
                printf '%%s\\0' "$@" > '%1$s'/"$(printf %%05d "$n")"
                """.formatted(calls));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new RecordingCommand(bin, calls);
    }

    /** PATH with the stand-in first. */
    String path() {
        return bin + ":/usr/bin:/bin";
    }

    /** Each call's arguments (without the command name), in call order. */
    List<List<String>> calls() throws IOException {
        List<List<String>> result = new ArrayList<>();
        try (Stream<Path> files = Files.list(calls)) {
            for (Path f : files.sorted().toList()) {
                String raw = Files.readString(f, StandardCharsets.UTF_8);
                List<String> argv = new ArrayList<>();
                int from = 0;
                for (int nul = raw.indexOf('\0'); nul >= 0; nul = raw.indexOf('\0', from)) {
                    argv.add(raw.substring(from, nul));
                    from = nul + 1;
                }
                result.add(argv);
            }
        }
        return result;
    }
}
