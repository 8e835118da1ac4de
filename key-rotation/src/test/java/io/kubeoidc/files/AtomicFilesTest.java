package io.kubeoidc.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void privateFilesAre0600AndLeaveNoTempFiles() throws Exception {
        Path f = dir.resolve("sub/sa.key");
        AtomicFiles.write(f, "one".getBytes(), AtomicFiles.PRIVATE);
        AtomicFiles.write(f, "two".getBytes(), AtomicFiles.PRIVATE);
        assertThat(Files.readString(f)).isEqualTo("two");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        try (var files = Files.list(f.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("sa.key");
        }
    }

    @Test
    void replacingAWorldReadableFileNarrowsItsMode() throws Exception {
        Path f = dir.resolve("sa.key");
        Files.writeString(f, "old");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        AtomicFiles.write(f, "new".getBytes(), AtomicFiles.PRIVATE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    }

    @Test
    void writeIfChangedSkipsIdenticalContent() throws Exception {
        Path f = dir.resolve("sa.pub");
        assertThat(AtomicFiles.writeIfChanged(f, "a".getBytes(), AtomicFiles.PUBLIC)).isTrue();
        assertThat(AtomicFiles.writeIfChanged(f, "a".getBytes(), AtomicFiles.PUBLIC)).isFalse();
        assertThat(AtomicFiles.writeIfChanged(f, "b".getBytes(), AtomicFiles.PUBLIC)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r--r--");
    }
}
