package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every file and directory under some roots, with its type, mode and bytes: what "nothing was
 * overwritten" compares. A root that does not exist is empty, so one that appears is a change.
 */
record FileSnapshot(List<Path> roots, Map<String, FileSnapshot.Entry> entries) {

    /** @param bytes the content of a regular file, or empty */
    record Entry(String kind, byte[] bytes) {
        boolean same(Entry other) {
            return other != null && kind.equals(other.kind) && Arrays.equals(bytes, other.bytes);
        }
    }

    static FileSnapshot of(Path... roots) {
        Map<String, Entry> entries = new TreeMap<>();
        for (Path root : roots) {
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : walk.toList()) {
                    entries.put(root.getFileName() + "/" + root.relativize(p), entry(p));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new FileSnapshot(List.of(roots), entries);
    }

    /** Fails naming every entry that appeared, vanished or changed (bytes, type or mode) since this snapshot. */
    void assertUnchanged() {
        Map<String, Entry> now = of(roots.toArray(Path[]::new)).entries();
        List<String> changes = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>(entries.keySet());
        names.addAll(now.keySet());
        for (String name : names) {
            Entry before = entries.get(name);
            Entry after = now.get(name);
            if (before == null) {
                changes.add(name + ": appeared (" + after.kind() + ")");
            } else if (after == null) {
                changes.add(name + ": vanished");
            } else if (!before.same(after)) {
                changes.add(name + ": " + before.kind() + " -> " + after.kind()
                        + (Arrays.equals(before.bytes(), after.bytes()) ? "" : ", content changed"));
            }
        }
        assertThat(changes).as("changes under %s", roots).isEmpty();
    }

    private static Entry entry(Path p) throws IOException {
        if (Files.isSymbolicLink(p)) {
            return new Entry("link to " + Files.readSymbolicLink(p), new byte[0]);
        }
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return new Entry("directory " + mode, new byte[0]);
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            return new Entry("socket or device " + mode, new byte[0]);
        }
        return new Entry("file " + mode, Files.readAllBytes(p));
    }
}
