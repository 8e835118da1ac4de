package io.kubeoidc.store;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.keys.VerificationKey;
import io.kubeoidc.keyset.ChangeNote;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The key set's metadata as JSON (states, timestamps, revision), shared by every store. The encoding is
 * deterministic, so replicas that encode the same set get the same bytes. Never holds private keys.
 */
public final class KeySetJson {
    static final int FORMAT = 1;
    private static final String FILES = "files";

    private KeySetJson() {}

    /**
     * @param publicKeyPem for stores without a file per key: embed each public key as PEM, null to omit
     */
    public static byte[] encode(KeySet set, java.util.function.Function<VerificationKey, String> publicKeyPem) {
        return encode(set, publicKeyPem, FILES);
    }

    /**
     * @param custody the custody that holds the private keys of {@code set}, recorded unless it is {@code files} (the
     *                default, so a store written before custodies existed reads as {@code files})
     */
    public static byte[] encode(KeySet set, java.util.function.Function<VerificationKey, String> publicKeyPem,
                                String custody) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("revision", set.revision());
        if (!FILES.equals(custody)) {
            json.put("custody", custody);
        }
        if (set.keysChangedAt() != null) {
            json.put("keysChangedAt", set.keysChangedAt().toString());
        }
        List<Object> keys = new ArrayList<>();
        for (ManagedKey k : set.keys()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("kid", k.kid());
            e.put("alg", k.key().algorithm().getName());
            e.put("state", k.state().name());
            e.put("private", k.hasPrivateKey());
            e.put("created", k.created().toString());
            e.put("since", k.stateSince().toString());
            if (k.confirmedAt() != null) {
                e.put("confirmed", k.confirmedAt().toString());
            }
            if (k.removeAt() != null) {
                e.put("removeAt", k.removeAt().toString());
            }
            e.put("origin", k.origin());
            if (k.gateBypass() != null) {
                e.put("gateBypass", k.gateBypass());
            }
            if (publicKeyPem != null) {
                e.put("publicKey", publicKeyPem.apply(k.key()));
            }
            keys.add(e);
        }
        json.put("keys", keys);
        if (set.change() != null) {
            Map<String, Object> change = new LinkedHashMap<>();
            change.put("command", set.change().command());
            if (set.change().reason() != null) {
                change.put("reason", set.change().reason());
            }
            if (set.change().user() != null) {
                change.put("user", set.change().user());
            }
            json.put("change", change);
        }
        return (JSONObjectUtils.toJSONString(json) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param publicKey resolves (kid, embedded PEM or null) to the key; it must check the kid
     */
    public static KeySet decode(byte[] bytes, BiFunction<String, String, VerificationKey> publicKey) throws ParseException {
        Map<String, Object> json = JSONObjectUtils.parse(new String(bytes, StandardCharsets.UTF_8));
        long format = JSONObjectUtils.getLong(json, "format");
        if (format != FORMAT) {
            throw new IllegalArgumentException("format " + format + "; this version reads format " + FORMAT);
        }
        List<ManagedKey> keys = new ArrayList<>();
        for (Map<String, Object> entry : JSONObjectUtils.getJSONObjectArray(json, "keys")) {
            String kid = JSONObjectUtils.getString(entry, "kid");
            VerificationKey pub = publicKey.apply(kid, JSONObjectUtils.getString(entry, "publicKey"));
            // A store written before private keys were destroyed on retirement still marks RETIRED keys private:
            // never load those (the next commit deletes them).
            keys.add(new ManagedKey(pub, KeyState.valueOf(JSONObjectUtils.getString(entry, "state")),
                    JSONObjectUtils.getBoolean(entry, "private"),
                    Instant.parse(JSONObjectUtils.getString(entry, "created")),
                    Instant.parse(JSONObjectUtils.getString(entry, "since")),
                    optionalInstant(entry, "confirmed"), optionalInstant(entry, "removeAt"),
                    JSONObjectUtils.getString(entry, "origin"), JSONObjectUtils.getString(entry, "gateBypass"))
                    .withoutSpentPrivateKey());
        }
        // "change" is absent in stores written before it existed, and after every commit of the service's own.
        Map<String, Object> change = JSONObjectUtils.getJSONObject(json, "change");
        return new KeySet(JSONObjectUtils.getLong(json, "revision"), keys, optionalInstant(json, "keysChangedAt"),
                change == null ? null : new ChangeNote(JSONObjectUtils.getString(change, "command"),
                        JSONObjectUtils.getString(change, "reason"), JSONObjectUtils.getString(change, "user")));
    }

    /** With each public key embedded as PEM: for stores without a file per key (etcd, the local copy). */
    public static byte[] encodeSelfContained(KeySet set) {
        return encodeSelfContained(set, FILES);
    }

    public static byte[] encodeSelfContained(KeySet set, String custody) {
        return encode(set, k -> new String(io.kubeoidc.pem.PemKeyWriter.publicKeys(List.of(k)), StandardCharsets.US_ASCII),
                custody);
    }

    /** The custody that wrote the metadata: {@code files} when it records none. */
    public static String custody(byte[] bytes) throws ParseException {
        String custody = JSONObjectUtils.getString(JSONObjectUtils.parse(new String(bytes, StandardCharsets.UTF_8)),
                "custody");
        return custody == null ? FILES : custody;
    }

    public static KeySet decodeSelfContained(byte[] bytes) throws ParseException {
        return decode(bytes, (kid, pem) -> {
            if (pem == null) {
                throw new IllegalArgumentException("key " + kid + " has no embedded public key");
            }
            var k = StoredKeyPem.expect("key set metadata", io.kubeoidc.pem.PemKeyReader.read("the public key of " + kid,
                    pem.getBytes(StandardCharsets.US_ASCII)), kid, false);
            return k.verificationKey();
        });
    }

    private static Instant optionalInstant(Map<String, Object> entry, String name) throws ParseException {
        String value = JSONObjectUtils.getString(entry, name);
        return value == null ? null : Instant.parse(value);
    }
}
