package io.kubeoidc.keyset;

import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemReadResult;
import io.kubeoidc.pem.SkippedBlock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Adopting existing keys (kubeadm's sa.key and sa.pub, or any PEM files) so that tokens signed
 * before the move stay valid. The first private key becomes ACTIVE; every other key is published
 * VERIFY_ONLY, in file order; the same key met twice (sa.key and sa.pub) is one entry.
 */
public final class KeyImport {
    private KeyImport() {}

    /**
     * @param verifyOnly publish every imported key without signing with any (for a store that
     *                   already has its signing key)
     * @throws KeyFileException for a file with no usable key or a block that would be lost
     * @throws IllegalStateException when the store is not empty and {@code verifyOnly} is false
     */
    public static KeySetChange plan(KeySet current, List<PemReadResult> files, boolean verifyOnly,
                                    boolean allowSkippedBlocks, Instant now) {
        return plan(current, files, verifyOnly, allowSkippedBlocks, null, now);
    }

    /** @param removeAt when verify-only keys leave the documents, or null to keep them until removed by command */
    public static KeySetChange plan(KeySet current, List<PemReadResult> files, boolean verifyOnly,
                                    boolean allowSkippedBlocks, Instant removeAt, Instant now) {
        if (!verifyOnly && !current.isEmpty()) {
            throw new IllegalStateException("the store already holds " + current.keys().size() + " key(s)"
                    + current.active().map(a -> ", active kid " + a.kid()).orElse("")
                    + "; import a signing key only into an empty store, or use --verify-only to publish"
                    + " the imported keys without changing the signing key");
        }
        List<String> notes = new ArrayList<>();
        Map<String, ManagedKey> merged = new LinkedHashMap<>();
        for (ManagedKey k : current.keys()) {
            merged.put(k.kid(), k);
        }
        List<SigningKey> newKeys = new ArrayList<>();
        String activeKid = null;
        for (PemReadResult file : files) {
            List<ParsedKey> keys = file.requireKeys();
            List<SkippedBlock> lost = file.skipped().stream().filter(s -> !s.harmless()).toList();
            if (!lost.isEmpty() && !allowSkippedBlocks) {
                throw new KeyFileException(file.source() + ": " + lost.stream().map(SkippedBlock::toString)
                        .collect(Collectors.joining("; ")) + " (fix the file, or pass --allow-skipped to import"
                        + " the other blocks anyway)");
            }
            lost.forEach(s -> notes.add(file.source() + ": skipped " + s));
            String origin = "imported from " + fileName(file.source());
            for (ParsedKey p : keys) {
                boolean activate = !verifyOnly && activeKid == null && p.isPrivate();
                ManagedKey existing = merged.get(p.kid());
                if (existing != null && !activate) {
                    notes.add(file.source() + ": " + p + " is already in the set");
                    continue;
                }
                if (activate) {
                    activeKid = p.kid();
                    newKeys.add(p.signingKey().orElseThrow());
                    merged.put(p.kid(), new ManagedKey(p.verificationKey(), KeyState.ACTIVE, true,
                            existing == null ? now : existing.created(), now, null, null, origin,
                            "imported as the signing key by the operator"));
                    notes.add(file.source() + ": " + p + " -> ACTIVE (signing key)");
                } else {
                    merged.put(p.kid(), ManagedKey.added(p.verificationKey(), KeyState.VERIFY_ONLY, false, now, origin)
                            .withRemoveAt(removeAt));
                    notes.add(file.source() + ": " + p + " -> VERIFY_ONLY (published, never signs)");
                }
            }
        }
        if (!verifyOnly && activeKid == null) {
            notes.add("no private key among the files: the service will generate a signing key at start");
        }
        return new KeySetChange(new KeySet(current.revision(), List.copyOf(merged.values())), newKeys, notes);
    }

    private static String fileName(String source) {
        Path p = Path.of(source).getFileName();
        return p == null ? source : p.toString();
    }
}
