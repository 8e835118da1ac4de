package io.kubeoidc.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file replacement: write a temp file in the same directory (created with its final
 * mode, so a private key is never readable by others, not even briefly), fsync it, rename it over
 * the target, then fsync the directory so the rename itself survives a power cut.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    public static void write(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        write(target, content, mode, () -> { });
    }

    /** @param beforeRename runs when the temp file is durable but not yet in place (crash tests) */
    public static void write(Path target, byte[] content, Set<PosixFilePermission> mode, Runnable beforeRename)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = createTemp(dir, target.getFileName().toString(), mode);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            // Re-apply: the umask may have narrowed the mode at creation (never widened it).
            setMode(tmp, mode);
            beforeRename.run();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("file system of " + dir + " cannot rename atomically", e);
            }
            fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes only when the content differs; returns whether it wrote. */
    public static boolean writeIfChanged(Path target, byte[] content, Set<PosixFilePermission> mode)
            throws IOException {
        if (Files.isRegularFile(target) && java.util.Arrays.equals(Files.readAllBytes(target), content)) {
            return false;
        }
        write(target, content, mode);
        return true;
    }

    public static void deleteDurably(Path target) throws IOException {
        if (Files.deleteIfExists(target)) {
            fsyncDirectory(target.toAbsolutePath().getParent());
        }
    }

    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static Path createTemp(Path dir, String name, Set<PosixFilePermission> mode) throws IOException {
        FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(mode);
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                return Files.createFile(tmp, attr);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            }
        }
    }

    private static void setMode(Path file, Set<PosixFilePermission> mode) throws IOException {
        Files.setPosixFilePermissions(file, mode);
    }
}
