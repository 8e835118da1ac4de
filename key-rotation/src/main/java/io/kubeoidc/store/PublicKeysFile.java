package io.kubeoidc.store;

import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.KeyFileException;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemReadResult;
import io.kubeoidc.pem.SkippedBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Publisher mode: the keys are managed elsewhere (kube-apiserver's own sa.pub, mounted from a ConfigMap)
 * and this service only publishes them. Every key is VERIFY_ONLY; private keys in the file are used for
 * their public half only and never held.
 */
public final class PublicKeysFile implements KeySetSource {
    private final Path file;

    public PublicKeysFile(Path file) {
        this.file = file.toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
        return "public keys file " + file;
    }

    @Override
    public String version() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public StoredKeys load() {
        PemReadResult read = PemKeyReader.readFile(file);
        List<SkippedBlock> lost = read.skipped().stream().filter(s -> !s.harmless()).toList();
        if (!lost.isEmpty()) {
            throw new KeyFileException(file + ": " + lost.stream().map(SkippedBlock::toString)
                    .collect(Collectors.joining("; ")));
        }
        Instant modified;
        try {
            modified = Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            throw new KeyFileException(file + ": cannot read: " + PemKeyReader.reason(e), e);
        }
        Set<String> seen = new LinkedHashSet<>();
        List<ManagedKey> keys = new ArrayList<>();
        for (ParsedKey k : read.requireKeys()) {
            if (seen.add(k.kid())) {
                keys.add(ManagedKey.added(k.verificationKey(), KeyState.VERIFY_ONLY, false, modified,
                        "published from " + file.getFileName()));
            }
        }
        return new StoredKeys(new KeySet(0, keys, modified), Map.of());
    }
}
