package io.kubeoidc.custody.pkcs11;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The token's user PIN, read from a file only its owner can read (mode 0600 or 0400). Messages name
 * the file and its mode, never its content.
 */
final class PinFile {
    private static final Set<Set<PosixFilePermission>> ALLOWED = Set.of(
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
            EnumSet.of(PosixFilePermission.OWNER_READ));

    private PinFile() {}

    /** The PIN without a trailing newline; the caller wipes the array after logging in. */
    static char[] read(Path file) {
        Set<PosixFilePermission> mode;
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new Pkcs11TokenException(Pkcs11TokenException.Reason.PIN_FILE,
                        "pin-file " + file + " is not a regular file (symbolic links are refused)");
            }
            mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new Pkcs11TokenException(Pkcs11TokenException.Reason.PIN_FILE,
                    "pin-file " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
        if (!ALLOWED.contains(mode)) {
            throw new Pkcs11TokenException(Pkcs11TokenException.Reason.PIN_FILE, "pin-file " + file + " has mode "
                    + PosixFilePermissions.toString(mode) + "; it must be 0600 or 0400 (readable by its owner only)");
        }
        byte[] bytes = null;
        try {
            bytes = Files.readAllBytes(file);
            int end = bytes.length;
            while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
                end--;
            }
            if (end == 0) {
                throw new Pkcs11TokenException(Pkcs11TokenException.Reason.PIN_FILE, "pin-file " + file + " is empty");
            }
            CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, end));
            char[] pin = Arrays.copyOfRange(chars.array(), chars.position(), chars.limit());
            Arrays.fill(chars.array(), '\0');
            return pin;
        } catch (IOException e) {
            throw new Pkcs11TokenException(Pkcs11TokenException.Reason.PIN_FILE,
                    "pin-file " + file + " cannot be read: " + e.getClass().getSimpleName());
        } finally {
            if (bytes != null) {
                Arrays.fill(bytes, (byte) 0);
            }
        }
    }
}
