package io.kubeoidc.service.publish;

import io.kubeoidc.files.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * A directory for any static web server (nginx, a CDN origin). Files carry no headers: the web server
 * sets them. The version is a content hash; writes are atomic (temp file, fsync, rename).
 */
class DirectoryStorage implements MirrorStorage {
    static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private final Path root;

    DirectoryStorage(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
        return "directory " + root;
    }

    @Override
    public Optional<StoredObject> read(String name) {
        try {
            byte[] bytes = AtomicFiles.read(root.resolve(name));
            return Optional.of(new StoredObject(bytes, null, null, hash(bytes)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void write(String name, byte[] bytes, String contentType, String cacheControl,
                                   String expectedVersion) {
        String current = read(name).map(StoredObject::version).orElse(null);
        if (expectedVersion == null ? current != null : !expectedVersion.equals(current)) {
            throw new Conflict(name + " was changed by another writer");
        }
        try {
            if (!Files.isDirectory(root)) {
                // Served by a web server running as another user: readable by all, writable by this user only.
                Files.createDirectories(root, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
            }
            AtomicFiles.write(root.resolve(name), bytes, AtomicFiles.PUBLIC);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
