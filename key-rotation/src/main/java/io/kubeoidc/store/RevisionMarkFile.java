package io.kubeoidc.store;

import io.kubeoidc.files.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code .revision} in the store directory: the highest key-set revision committed or loaded from it, so that
 * an older {@code keyset.json} written back (a file restored from a backup, a configuration tool replaying an
 * old version) is refused even after a restart. It is written after the metadata it follows, so a crash
 * leaves it at most one commit behind, never ahead.
 */
final class RevisionMarkFile implements RevisionFloor {
    static final String NAME = ".revision";

    private final Path file;

    RevisionMarkFile(Path dir) {
        this.file = dir.resolve(NAME);
    }

    @Override
    public long floor() {
        try {
            return Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | NumberFormatException e) {
            throw new KeyStoreException("cannot read the revision high-water mark " + file + ": " + e.getMessage()
                    + "; restore it, or run `keys restore` to set it from the key set (docs/keys.md)", e);
        }
    }

    /** Moves the mark up to {@code revision}; never down. */
    void raise(long revision) throws IOException {
        if (revision > floor()) {
            set(revision);
        }
    }

    private void set(long revision) throws IOException {
        AtomicFiles.write(file, content(revision), AtomicFiles.PUBLIC);
    }

    static byte[] content(long revision) {
        return (revision + "\n").getBytes(StandardCharsets.US_ASCII);
    }
}
