package io.kubeoidc.store;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.custody.FilesCustody;
import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.files.AtomicFiles;
import io.kubeoidc.files.TrustedDirectory;
import io.kubeoidc.files.UnsafeDirectoryException;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The embedded default store: one directory holding {@code KID.pub} for every key, {@code KID.key}
 * (0600, PKCS#1 or SEC1) for keys that can sign when the custody keeps private keys in the store ({@code files}),
 * and {@code keyset.json} with states, timestamps and the revision.
 *
 * <p>Crash safety comes from the write order: key files are written and fsynced first, then the
 * metadata is replaced atomically, then files of keys that left the set are deleted. A crash at any
 * point leaves either the old or the new metadata, and every file either refers to exists.
 * An advisory lock on {@code .lock} serialises writers across processes (service and CLI).
 */
public final class DirectoryKeyStore implements KeyStore, KeySetSource {
    static final String METADATA = "keyset.json";
    static final String LOCK = ".lock";

    private final Path dir;
    private final Duration lockTimeout;
    private final WriteSteps steps;
    private final RevisionMarkFile mark;
    private final KeyCustody custody;
    private final java.time.Clock clock = java.time.Clock.systemUTC();

    public DirectoryKeyStore(Path dir) {
        this(dir, Duration.ofSeconds(10));
    }

    public DirectoryKeyStore(Path dir, KeyCustody custody) {
        this(dir, Duration.ofSeconds(10), WriteSteps.NONE, custody);
    }

    public DirectoryKeyStore(Path dir, Duration lockTimeout) {
        this(dir, lockTimeout, WriteSteps.NONE);
    }

    public DirectoryKeyStore(Path dir, Duration lockTimeout, WriteSteps steps) {
        this(dir, lockTimeout, steps, FilesCustody.INSTANCE);
    }

    public DirectoryKeyStore(Path dir, Duration lockTimeout, WriteSteps steps, KeyCustody custody) {
        this.dir = dir.toAbsolutePath().normalize();
        this.lockTimeout = lockTimeout;
        this.steps = steps;
        this.mark = new RevisionMarkFile(this.dir);
        this.custody = java.util.Objects.requireNonNull(custody, "custody");
    }

    @Override
    public KeyCustody custody() {
        return custody;
    }

    public Path directory() {
        return dir;
    }

    @Override
    public String describe() {
        return "key store " + dir;
    }

    /** The key set, refused ({@link RolledBackKeySetException}) when older than the directory's high-water mark. */
    @Override
    public StoredKeys load() {
        return read(true);
    }

    private StoredKeys read(boolean refuseRollback) {
        checkDirectory();
        // The mark first: it is written after the metadata, so a commit running meanwhile cannot look like a rollback.
        long highWater = 0;
        KeyStoreException unreadableMark = null;
        if (refuseRollback) {
            try {
                highWater = mark.floor();
            } catch (KeyStoreException e) {
                unreadableMark = e; // reported after the metadata's own errors, which say more
            }
        }
        byte[] metadata;
        try {
            metadata = AtomicFiles.read(dir.resolve(METADATA));
        } catch (NoSuchFileException e) {
            return StoredKeys.EMPTY;
        } catch (IOException e) {
            throw new KeyStoreException(describe() + ": cannot read " + METADATA + ": " + e.getMessage(), e);
        }
        if (unreadableMark != null) {
            throw unreadableMark;
        }
        try {
            CustodyMaterial.requireWrittenBy(custody, KeySetJson.custody(metadata), describe());
            KeySet set = KeySetJson.decode(metadata, (kid, embedded) -> readKey(publicFile(kid), kid, false).verificationKey());
            Map<String, KeyHandle> signing = new HashMap<>();
            for (ManagedKey k : set.keys()) {
                if (k.hasPrivateKey()) {
                    var stored = custody.keepsPrivateKeysInStore() ? java.util.Optional.of(
                            readKey(privateFile(k.kid()), k.kid(), true).signingKey().orElseThrow().privateKey())
                            : java.util.Optional.<java.security.PrivateKey>empty();
                    signing.put(k.kid(), CustodyMaterial.open(custody, k.key(), stored, describe()));
                }
            }
            if (refuseRollback) {
                if (set.revision() < highWater) {
                    throw new RolledBackKeySetException(describe(), set.revision(), highWater);
                }
                raiseMarkQuietly(set.revision());
            }
            return new StoredKeys(set, signing);
        } catch (KeyStoreException e) {
            throw e;
        } catch (java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException(describe() + ": " + METADATA + " is invalid: " + e.getMessage(), e);
        }
    }

    @Override
    public void recordPolicy(io.kubeoidc.rotation.RotationPolicy policy) {
        try {
            PolicyFile.write(this, policy);
        } catch (IOException e) {
            throw new KeyStoreException(describe() + ": cannot write " + PolicyFile.NAME + ": " + e.getMessage(), e);
        }
    }

    @Override
    public java.util.Optional<io.kubeoidc.rotation.RotationPolicy> recordedPolicy() {
        checkDirectory();
        return PolicyFile.read(dir);
    }

    /** The stored revision: every commit changes it. */
    @Override
    public String version() {
        return Long.toString(storedRevision());
    }

    /**
     * Creates the store directory (and missing parents) 0700, only the owner may list or enter it; an existing one
     * keeps its mode but must pass {@link #checkDirectory()}.
     */
    public void ensureDirectory() {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new KeyStoreException(describe() + ": cannot create directory: " + e.getMessage(), e);
        }
        checkDirectory();
    }

    /**
     * Refuses a store another local user could change (see {@link TrustedDirectory} for the rule): checked on every
     * read and commit, so a directory loosened while the service runs stops reloads rather than feeding them.
     */
    public void checkDirectory() {
        try {
            TrustedDirectory.check(dir, "key store", "700");
        } catch (UnsafeDirectoryException e) {
            throw new KeyStoreException(e.getMessage(), e);
        } catch (java.io.UncheckedIOException e) {
            throw new KeyStoreException(e.getMessage(), e);
        }
    }

    /** The revision on disk, read without loading key files (cheap change detection). */
    public long storedRevision() {
        checkDirectory();
        try {
            Map<String, Object> json = JSONObjectUtils.parse(new String(AtomicFiles.read(dir.resolve(METADATA)), StandardCharsets.UTF_8));
            return JSONObjectUtils.getLong(json, "revision");
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | java.text.ParseException e) {
            throw new KeyStoreException(describe() + ": cannot read " + METADATA + ": " + e.getMessage(), e);
        }
    }

    @Override
    public StoredKeys commit(long baseRevision, KeySet next, Collection<? extends KeyHandle> newKeys) {
        ensureDirectory();
        try (Lock ignored = lock()) {
            KeySet stored = load().keySet();
            long current = stored.revision();
            if (current != baseRevision) {
                throw new StaleKeySetException(describe() + " changed while this change was prepared (revision "
                        + baseRevision + ", now " + current + "); reload and try again");
            }
            Map<String, KeyHandle> provided = newKeys.stream()
                    .collect(Collectors.toMap(KeyHandle::kid, k -> k, (a, b) -> a));
            for (ManagedKey k : next.keys()) {
                KeyHandle given = provided.get(k.kid());
                if (given != null) {
                    var priv = CustodyMaterial.toStore(custody, given, describe());
                    if (priv.isPresent()) {
                        write(privateFile(k.kid()), PemKeyWriter.privateKey(priv.get()), AtomicFiles.PRIVATE);
                    }
                } else if (k.hasPrivateKey() && custody.keepsPrivateKeysInStore()
                        && !Files.isRegularFile(privateFile(k.kid()), LinkOption.NOFOLLOW_LINKS)) {
                    throw new KeyStoreException(describe() + ": key " + k.kid()
                            + " needs its private key, which was neither given nor stored");
                }
                if (!Files.isRegularFile(publicFile(k.kid()), LinkOption.NOFOLLOW_LINKS)) {
                    write(publicFile(k.kid()), PemKeyWriter.publicKeys(List.of(k.key())), AtomicFiles.PUBLIC);
                }
            }
            return commitMetadata(stored, next.committedOver(stored, clock.instant()), newKeys);
        } catch (IOException e) {
            throw new KeyStoreException(describe() + ": write failed: " + e.getMessage(), e);
        }
    }

    /**
     * Metadata, then the high-water mark (so a crash leaves it behind the metadata, never ahead), then the files
     * no longer referenced: removed keys, and the private halves of keys that left ACTIVE.
     */
    private StoredKeys commitMetadata(KeySet before, KeySet committed, Collection<? extends KeyHandle> newKeys)
            throws IOException {
        write(dir.resolve(METADATA), KeySetJson.encode(committed, null, custody.name()), AtomicFiles.PUBLIC);
        write(dir.resolve(RevisionMarkFile.NAME), RevisionMarkFile.content(committed.revision()), AtomicFiles.PUBLIC);
        deleteUnreferenced(committed);
        CustodyMaterial.destroySpent(custody, before, newKeys, committed);
        return load();
    }

    /**
     * Re-commits the key set the directory holds now, unchanged, at a revision above its high-water mark and
     * above {@code aboveRevision}: the deliberate way back to a restored {@code keyset.json}.
     */
    @Override
    public StoredKeys restore(long aboveRevision) {
        ensureDirectory();
        try (Lock ignored = lock()) {
            KeySet stored = read(false).keySet();
            if (stored.isEmpty()) {
                throw new KeyStoreException(describe() + " holds no key set to restore");
            }
            long target = Math.max(Math.max(stored.revision(), mark.floor()), aboveRevision) + 1;
            return commitMetadata(stored, stored.restoredAt(target, clock.instant()), List.of());
        } catch (IOException e) {
            throw new KeyStoreException(describe() + ": write failed: " + e.getMessage(), e);
        }
    }

    /**
     * A read that finds the metadata ahead of the mark (a commit killed between the two, or a store older than
     * the mark) raises it, under the lock so no commit is disturbed, removing the killed writer's temp file.
     * Best effort: a read-only user, or a writer holding the lock (it writes the mark itself), leaves it.
     */
    private void raiseMarkQuietly(long revision) {
        if (revision <= mark.floor()) {
            return;
        }
        try (FileChannel ch = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); FileLock held = ch.tryLock()) {
            if (held != null) {
                mark.raise(revision);
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path p : files.filter(p -> p.getFileName().toString().startsWith("." + RevisionMarkFile.NAME
                            + ".tmp-")).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException | OverlappingFileLockException e) {
            // the next commit writes it
        }
    }

    /**
     * Removes key files the committed set no longer names (keys removed, or orphans of a crash), and
     * temp files of writers killed mid-write: only the lock holder writes, so under the lock any temp
     * file is a dead writer's (and may hold a private key).
     */
    private void deleteUnreferenced(KeySet committed) throws IOException {
        Set<String> keep = new java.util.HashSet<>();
        for (ManagedKey k : committed.keys()) {
            keep.add(k.kid() + ".pub");
            if (k.hasPrivateKey() && custody.keepsPrivateKeysInStore()) {
                keep.add(k.kid() + ".key");
            }
        }
        List<Path> stale;
        try (Stream<Path> files = Files.list(dir)) {
            stale = files.filter(p -> {
                String name = p.getFileName().toString();
                return ((name.endsWith(".pub") || name.endsWith(".key")) && !keep.contains(name))
                        || (name.startsWith(".") && name.contains(".tmp-"));
            }).toList();
        }
        for (Path p : stale) {
            steps.reached("delete " + p.getFileName());
            AtomicFiles.deleteDurably(p);
        }
    }

    private void write(Path file, byte[] content, java.util.Set<java.nio.file.attribute.PosixFilePermission> mode)
            throws IOException {
        String name = file.getFileName().toString();
        steps.reached("write " + name);
        AtomicFiles.write(file, content, mode, () -> steps.reached("rename " + name));
        steps.reached("written " + name);
    }

    /** Where the private half of {@code kid} lives (while it can sign), for `keys status --output json`. */
    public Path privateFile(String kid) {
        return dir.resolve(kid + ".key");
    }

    private Path publicFile(String kid) {
        return dir.resolve(kid + ".pub");
    }

    private ParsedKey readKey(Path file, String kid, boolean wantPrivate) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new KeyStoreException(describe() + " is inconsistent: " + METADATA + " lists key " + kid
                    + " but " + file.getFileName() + (Files.isSymbolicLink(file) ? " is a symbolic link, which the store"
                    + " never follows" : " is missing") + "; restore the directory from backup");
        }
        try {
            byte[] pem;
            try {
                pem = AtomicFiles.read(file);
            } catch (IOException e) {
                throw new KeyFileException(file + ": cannot read: " + PemKeyReader.reason(e), e);
            }
            return StoredKeyPem.expect(describe(), PemKeyReader.read(file.toString(), pem), kid, wantPrivate);
        } catch (KeyFileException e) { // unreadable file
            throw new KeyStoreException(describe() + " is inconsistent: " + e.getMessage(), e);
        }
    }

    /**
     * Cross-process advisory lock on DIR/.lock, held only for the duration of one commit. Opened without following
     * a symbolic link: the lock holder truncates it, which through a planted link would destroy another file.
     */
    private Lock lock() throws IOException {
        Path lockFile = dir.resolve(LOCK);
        FileChannel ch;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            if (Files.isSymbolicLink(lockFile)) {
                throw new KeyStoreException(describe() + ": " + LOCK + " is a symbolic link (to "
                        + Files.readSymbolicLink(lockFile) + "), which the store never follows; remove "
                        + lockFile + " (the store recreates it)", e);
            }
            throw e;
        }
        if (!Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
            ch.close();
            throw new KeyStoreException(describe() + ": " + LOCK + " is not a regular file; remove " + lockFile
                    + " (the store recreates it)");
        }
        long deadline = System.nanoTime() + lockTimeout.toNanos();
        try {
            while (true) {
                FileLock lock;
                try {
                    lock = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    lock = null; // held by another thread of this process
                }
                if (lock != null) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                    return new Lock(ch, lock);
                }
                if (System.nanoTime() > deadline) {
                    String holder = new String(AtomicFiles.read(lockFile), StandardCharsets.US_ASCII).strip();
                    throw new StoreLockedException(describe() + " is locked by another writer"
                            + (holder.isEmpty() ? "" : " (pid " + holder + ")") + " for more than "
                            + lockTimeout.toSeconds() + " s; try again, or check for a stuck process");
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ch.close();
            throw new KeyStoreException(describe() + ": interrupted while waiting for the lock");
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private record Lock(FileChannel channel, FileLock lock) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
