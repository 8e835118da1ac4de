package io.kubeoidc.store;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.files.AtomicFiles;
import io.kubeoidc.custody.FilesCustody;
import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.ParsedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.pem.PemKeyWriter;
import io.kubeoidc.sealing.SealedBox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A replica's local copy of the last key set it served, private keys included when the custody keeps them in the
 * store, sealed under the key-encryption key and written atomically with mode 0600. It lets a replica serve and sign when it
 * starts while etcd has no quorum yet (a full control-plane restart), never to rotate.
 */
public final class SealedKeySetFile {
    static final String SLOT = "local-copy";

    /** What the copy holds: the keys, the source version they had, and when the copy was written. */
    public record Copy(StoredKeys keys, String version, Instant savedAt) {}

    private final Path file;
    private final SealedBox box;
    private final KeyCustody custody;

    public SealedKeySetFile(Path file, SealedBox box) {
        this(file, box, FilesCustody.INSTANCE);
    }

    public SealedKeySetFile(Path file, SealedBox box, KeyCustody custody) {
        this.file = file.toAbsolutePath().normalize();
        this.box = box;
        this.custody = java.util.Objects.requireNonNull(custody, "custody");
    }

    public Path file() {
        return file;
    }

    public void write(StoredKeys keys, String version, Instant now) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", version);
        json.put("savedAt", now.toString());
        json.put("keyset", new String(KeySetJson.encodeSelfContained(keys.keySet(), custody.name()), StandardCharsets.UTF_8));
        Map<String, Object> priv = new LinkedHashMap<>();
        keys.signingKeys().forEach((kid, k) -> CustodyMaterial.toStore(custody, k, "the local copy").ifPresent(p ->
                priv.put(kid, new String(PemKeyWriter.privateKey(p), StandardCharsets.US_ASCII))));
        json.put("privateKeys", priv);
        byte[] plain = JSONObjectUtils.toJSONString(json).getBytes(StandardCharsets.UTF_8);
        try {
            AtomicFiles.write(file, box.seal(plain, SLOT), AtomicFiles.PRIVATE);
        } catch (IOException e) {
            throw new KeyStoreException("cannot write the local key-set copy " + file + ": " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Re-seals the copy under {@code to}, atomically (a crash leaves it under one key or the other); a copy
     * already under {@code to}, or none, is left alone.
     *
     * @return whether the file was rewritten
     */
    public boolean resealUnder(SealedBox to) {
        SealedKeySetFile target = new SealedKeySetFile(file, to, custody);
        try {
            if (!Files.exists(file) || to.keyId().equals(SealedBox.keyIdOf(Files.readAllBytes(file)))) {
                return false;
            }
        } catch (IOException e) {
            throw new KeyStoreException("cannot read the local key-set copy " + file + ": " + e.getMessage(), e);
        }
        Copy copy = read().orElseThrow();
        target.write(copy.keys(), copy.version(), copy.savedAt());
        return true;
    }

    /** The copy, or empty when there is none; a copy that exists but cannot be opened is an error. */
    public Optional<Copy> read() {
        byte[] sealed;
        try {
            sealed = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new KeyStoreException("cannot read the local key-set copy " + file + ": " + e.getMessage(), e);
        }
        try {
            Map<String, Object> json = JSONObjectUtils.parse(new String(box.open(sealed, SLOT), StandardCharsets.UTF_8));
            byte[] metadata = JSONObjectUtils.getString(json, "keyset").getBytes(StandardCharsets.UTF_8);
            CustodyMaterial.requireWrittenBy(custody, KeySetJson.custody(metadata), "it");
            KeySet set = KeySetJson.decodeSelfContained(metadata);
            Map<String, Object> priv = JSONObjectUtils.getJSONObject(json, "privateKeys");
            Map<String, KeyHandle> signing = new HashMap<>();
            for (ManagedKey k : set.keys()) {
                if (k.hasPrivateKey()) {
                    Optional<java.security.PrivateKey> stored = Optional.empty();
                    if (custody.keepsPrivateKeysInStore()) {
                        Object pem = priv.get(k.kid());
                        if (pem == null) {
                            throw new IllegalArgumentException("no private key for " + k.kid());
                        }
                        ParsedKey p = StoredKeyPem.expect("the local copy", PemKeyReader.read("the private key of "
                                + k.kid(), pem.toString().getBytes(StandardCharsets.US_ASCII)), k.kid(), true);
                        stored = Optional.of(p.signingKey().orElseThrow().privateKey());
                    }
                    signing.put(k.kid(), CustodyMaterial.open(custody, k.key(), stored, "the local copy"));
                }
            }
            return Optional.of(new Copy(new StoredKeys(set, signing), JSONObjectUtils.getString(json, "version"),
                    Instant.parse(JSONObjectUtils.getString(json, "savedAt"))));
        } catch (java.text.ParseException | RuntimeException e) {
            throw new KeyStoreException("the local key-set copy " + file + " is unusable: " + e.getMessage(), e);
        }
    }
}
