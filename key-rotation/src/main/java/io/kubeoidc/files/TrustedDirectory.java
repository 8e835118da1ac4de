package io.kubeoidc.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Refuses a directory that another local user could change, before keys, key files or the signer's socket are
 * trusted from it.
 *
 * <p>The rule: the directory itself (symbolic links resolved) is owned by this process's user or root and has no
 * group or other write bit. Every directory above it, up to {@code /}, on the path as given and on the resolved
 * path, is owned by this user or root and either has no group or other write bit or has the sticky bit (like
 * {@code /tmp}, 1777): a sticky directory keeps other users from renaming or deleting entries they do not own, and
 * the entry below it is checked to be ours or root's. An ancestor writable by others would let them move the
 * directory away and put their own in its place, so checking the directory alone is not enough.
 *
 * <p>A path that does not exist yet is not checked (there is nothing to trust); callers create it with
 * {@link #create} and check it then. A path that is not a directory is left to the caller's own error.
 */
public final class TrustedDirectory {
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;

    private TrustedDirectory() {}

    /**
     * @param role what the directory is, for the message ("key store", "issuer.key-files.directory")
     * @param mode the mode to suggest ("700")
     */
    public static void check(Path dir, String role, String mode) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            return;
        }
        try {
            Path real = abs.toRealPath();
            Entry self = Entry.of(real);
            String what = role + " " + abs + (real.equals(abs) ? "" : " (" + real + ")");
            if (!self.ownedByUs()) {
                throw new UnsafeDirectoryException(what + " is owned by " + self.ownerAndUid() + ", not by this service's user ("
                        + Entry.me() + ") or root: that user could replace the files in it", "check what it holds, then chown "
                        + Entry.me() + " " + real);
            }
            if (self.writableByOthers()) {
                throw new UnsafeDirectoryException(what + " is writable by " + self.writers() + " (mode " + self.octal()
                        + ", owner " + self.owner() + "): they could replace the files in it", "chmod " + mode + " " + real);
            }
            Set<Path> above = new LinkedHashSet<>();
            for (Path p = real.getParent(); p != null; p = p.getParent()) {
                above.add(p);
            }
            for (Path p = abs.getParent(); p != null; p = p.getParent()) {
                above.add(p);
            }
            for (Path p : above) {
                Entry e = Entry.of(p);
                if (e.symlink()) {
                    continue; // the directory holding the link is in the set, and the link's target is on the real path
                }
                String where = p + ", a directory above " + what + ",";
                String elsewhere = ", or choose a directory elsewhere";
                if (!e.ownedByUs()) {
                    throw new UnsafeDirectoryException(where + " is owned by " + e.ownerAndUid() + ", not by this service's user ("
                            + Entry.me() + ") or root: that user could move " + abs.getFileName()
                            + " away and put their own in its place", "chown " + Entry.me() + " " + p + elsewhere);
                }
                if (e.writableByOthers() && !e.sticky()) {
                    throw new UnsafeDirectoryException(where + " is writable by " + e.writers() + " without the sticky bit"
                            + " (mode " + e.octal() + ", owner " + e.owner() + "): they could move " + abs.getFileName()
                            + " away and put their own in its place", "chmod go-w " + p + elsewhere);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + role + " " + abs + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates the directory and any missing parents with {@code mode} (not the umask's default; the umask may only
     * narrow it), then checks it.
     */
    public static void create(Path dir, Set<PosixFilePermission> mode, String role) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            try {
                Files.createDirectories(abs, PosixFilePermissions.asFileAttribute(mode));
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(abs)) {
                    throw e;
                }
            }
        }
        check(abs, role, octal(mode));
    }

    static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 0400 >> p.ordinal();
        }
        return Integer.toOctalString(bits);
    }

    /** One directory's owner and mode, read without following a link. */
    private record Entry(int uid, int mode, String owner) {
        static Entry of(Path p) throws IOException {
            int uid = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            String name = Files.getOwner(p, LinkOption.NOFOLLOW_LINKS).getName();
            return new Entry(uid, mode, name.equals(Integer.toString(uid)) ? "uid " + uid : name);
        }

        String ownerAndUid() {
            return owner.startsWith("uid ") ? owner : owner + " (uid " + uid + ")";
        }

        static String me() {
            return CurrentUser.NAME;
        }

        boolean symlink() {
            return (mode & 0170000) == 0120000;
        }

        boolean ownedByUs() {
            return uid == 0 || uid == CurrentUser.UID;
        }

        boolean writableByOthers() {
            return (mode & GROUP_OR_OTHER_WRITE) != 0;
        }

        boolean sticky() {
            return (mode & STICKY) != 0;
        }

        String writers() {
            return switch (mode & GROUP_OR_OTHER_WRITE) {
                case 0020 -> "its group";
                case 0002 -> "every user";
                default -> "its group and every user";
            };
        }

        String octal() {
            return String.format("%04o", mode & 07777);
        }
    }

    /** This process's user (the real uid; the service never changes its uid). */
    private static final class CurrentUser {
        static final long UID;
        static final String NAME;

        static {
            long uid;
            String name;
            try {
                var system = new com.sun.security.auth.module.UnixSystem();
                uid = system.getUid();
                name = system.getUsername();
            } catch (LinkageError noModule) { // a runtime image without jdk.security.auth
                uid = procStatusUid();
                name = System.getProperty("user.name");
            }
            UID = uid;
            NAME = name == null || name.isBlank() || name.equals("?") ? Long.toString(uid) : name;
        }

        private static long procStatusUid() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("Uid:")) {
                        return Long.parseLong(line.substring(4).strip().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot tell this process's user id", e);
            }
            throw new IllegalStateException("cannot tell this process's user id: no Uid line in /proc/self/status");
        }
    }
}
