package io.kubeoidc.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void aSymbolicLinkAtTheTargetIsReplacedNotFollowed() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "root's file");
        Path target = Files.createSymbolicLink(dir.resolve("sa.pub"), victim);
        assertThatThrownBy(() -> AtomicFiles.read(target)).isInstanceOf(java.nio.file.FileSystemException.class)
                .hasMessage(target + ": a symbolic link, which is never followed");
        assertThat(AtomicFiles.writeIfChanged(target, "keys".getBytes(), AtomicFiles.PUBLIC)).isTrue();
        assertThat(Files.isSymbolicLink(target)).isFalse();
        assertThat(Files.readString(target)).isEqualTo("keys");
        assertThat(Files.readString(victim)).isEqualTo("root's file");
    }

    /** A JVM started under umask 077 (a JVM cannot change its own) writes a public document with {@link #main}. */
    @Test
    void aNarrowUmaskDoesNotNarrowTheMode() throws Exception {
        Path f = dir.resolve("jwks.json");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder("/bin/sh", "-c", "umask 077 && exec \"$0\" -cp \"$1\" " + AtomicFilesTest.class.getName()
                + " \"$2\"", java, System.getProperty("java.class.path"), f.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(output).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent().resolve("umask-probe"))))
                .as("the umask applied to a plain file").isEqualTo("rw-------");
    }

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        Files.write(target.resolveSibling("umask-probe"), new byte[0]);
        AtomicFiles.write(target, "{}".getBytes(), AtomicFiles.PUBLIC);
    }

    @Test
    void missingDirectoriesAreCreatedPrivate() throws Exception {
        Path f = dir.resolve("new/sa.key");
        AtomicFiles.write(f, "k".getBytes(), AtomicFiles.PRIVATE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent()))).isEqualTo("rwx------");
    }
}
