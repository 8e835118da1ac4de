import io.kubeoidc.keys.KeySpec;
import io.kubeoidc.keys.SigningKey;
import io.kubeoidc.keyset.KeyImport;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.pem.PemKeyReader;
import io.kubeoidc.rotation.ManualRotation;
import io.kubeoidc.rotation.RotationPolicy;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.SealedKeySetFile;
import java.nio.file.*;
import java.security.SecureRandom;
import java.time.*;
import java.util.*;

/** Run against the key-rotation classes of commit e67e707: writes a directory store and a sealed local copy. */
public class WriteOldStore {
    public static void main(String[] a) throws Exception {
        Path vectors = Path.of(a[0]);
        Path out = Path.of(a[1]);
        Path dir = out.resolve("keys");
        Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        var store = new DirectoryKeyStore(dir);
        Instant t0 = Instant.parse("2026-11-01T10:00:00Z");
        var change = KeyImport.plan(KeySet.EMPTY, List.of(
                PemKeyReader.readFile(vectors.resolve("rsa-2048-private.pkcs1.pem")),
                PemKeyReader.readFile(vectors.resolve("ecdsa-p256-public.pem"))), false, false, t0);
        KeySet s1 = store.commit(0, change.next(), change.newKeys()).keySet();
        RotationPolicy policy = RotationPolicy.defaults(Duration.ofHours(1));
        SecureRandom random = new SecureRandom();
        var plan = ManualRotation.rotateNow(s1, policy, t0.plusSeconds(3600), spec -> SigningKey.generate(KeySpec.RSA_2048, random));
        KeySet s2 = store.commit(1, plan.next(), plan.newKeys()).keySet();
        // the NEXT key activates (confirmed), the imported key retires: its private file is destroyed
        Instant t2 = t0.plus(Duration.ofDays(2));
        List<ManagedKey> keys = new ArrayList<>();
        for (ManagedKey k : s2.keys()) {
            if (k.state() == KeyState.NEXT) keys.add(k.withConfirmedAt(t0.plusSeconds(3700)).withState(KeyState.ACTIVE, t2));
            else if (k.state() == KeyState.ACTIVE) keys.add(k.withState(KeyState.RETIRED, t2));
            else keys.add(k);
        }
        KeySet s3 = store.commit(2, new KeySet(2, keys), List.of()).keySet();
        var plan2 = ManualRotation.rotateNow(s3, policy, t2.plusSeconds(60), spec -> SigningKey.generate(KeySpec.EC_P256, random));
        store.commit(3, plan2.next(), plan2.newKeys());
        store.recordPolicy(policy);
        var box = new SealedBox(KeyEncryptionKey.readFile(out.resolve("kek")));
        new SealedKeySetFile(out.resolve("keyset.sealed"), box).write(store.load(), "4", t2.plusSeconds(120));
        System.out.println(store.load().keySet());
    }
}
