package io.kubeoidc.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file replacement: write a temp file in the same directory (created exclusively with its
 * final mode, so a private key is never readable by others, not even briefly, and written through the
 * descriptor that created it), fsync it, rename it over the target, then fsync the directory so the
 * rename itself survives a power cut. Files are never opened through a symbolic link.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    /** Directories this class creates for a target whose directory is missing. */
    public static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    public static void write(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        write(target, content, mode, () -> { });
    }

    /** @param beforeRename runs when the temp file is durable but not yet in place (crash tests) */
    public static void write(Path target, byte[] content, Set<PosixFilePermission> mode, Runnable beforeRename)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
        }
        Path tmp = null;
        try {
            tmp = writeTemp(dir, target.getFileName().toString(), content, mode);
            beforeRename.run();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("file system of " + dir + " cannot rename atomically", e);
            }
            fsyncDirectory(dir);
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes only when the content differs (or the target is not a regular file); returns whether it wrote. */
    public static boolean writeIfChanged(Path target, byte[] content, Set<PosixFilePermission> mode)
            throws IOException {
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && java.util.Arrays.equals(read(target), content)) {
            return false;
        }
        write(target, content, mode);
        return true;
    }

    /**
     * Reads a whole file without following a symbolic link in its place: a planted link fails with
     * "FILE: a symbolic link, which is never followed" instead of handing over another file's content.
     */
    public static byte[] read(Path file) throws IOException {
        SeekableByteChannel ch;
        try {
            ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) { // the JDK reports O_NOFOLLOW's ELOOP without the file name
            if (Files.isSymbolicLink(file)) {
                throw new FileSystemException(file.toString(), null, SYMLINK_REFUSED);
            }
            throw e;
        }
        try (ch) {
            return Channels.newInputStream(ch).readAllBytes();
        }
    }

    /** The reason given for a symbolic link where a file was expected. */
    public static final String SYMLINK_REFUSED = "a symbolic link, which is never followed";

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

    /**
     * Creates the temp file exclusively (O_CREAT|O_EXCL, so never through a link) with its final mode and writes
     * it through that same descriptor: nothing is ever opened or chmod-ed again by path and then trusted.
     */
    private static Path writeTemp(Path dir, String name, byte[] content, Set<PosixFilePermission> mode)
            throws IOException {
        FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(mode);
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            FileChannel ch;
            try {
                ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS), attr);
            } catch (FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
                continue;
            }
            try (ch) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                widenToMode(tmp, mode);
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            return tmp;
        }
    }

    /**
     * A umask narrower than the mode (077 for a 0644 document) narrowed it at creation; restore it. The JDK applies
     * a NOFOLLOW_LINKS view's permissions with open(O_NOFOLLOW) and fchmod, so a link is never followed, and this
     * happens only when the modes differ.
     */
    private static void widenToMode(Path tmp, Set<PosixFilePermission> mode) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (!view.readAttributes().permissions().equals(mode)) {
            view.setPermissions(mode);
        }
    }
}
