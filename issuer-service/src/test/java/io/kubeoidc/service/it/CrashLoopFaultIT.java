package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.grpc.StatusRuntimeException;
import io.kubeoidc.custody.KeyHandle;
import io.kubeoidc.externaljwt.v1.SignJWTRequest;
import io.kubeoidc.externaljwt.v1.SignJWTResponse;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.KeyState;
import io.kubeoidc.keyset.ManagedKey;
import io.kubeoidc.store.DirectoryKeyStore;
import io.kubeoidc.store.StoredKeys;
import io.kubeoidc.testing.SoftHsm;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, crash safety of the real process: kill -9 the service over and over on one state directory, at
 * random moments and right after rotation steps, and count from outside what the crashes cost: keys lost,
 * stores that do not load, kids that signed before they were published. Two phases with half the crashes
 * each: the external signer with a client signing all the time, and the kube-apiserver key files with a short
 * retention so that removals happen too. A third phase repeats the first with the keys on a SoftHSM2 token
 * (custody pkcs11), checked from outside with pkcs11-tool. The schedule is wall-clock, so the time a process is dead counts and
 * a restart runs the overdue steps at once: kills shortly after a start land in those catch-up commits.
 */
class CrashLoopFaultIT {
    static final Pattern AUDIT = Pattern.compile("rotation kid=(\\S+) from=(\\w+) to=(\\w+) why=\"([^\"]*)");
    /** How long an AFTER_EVENT life waits for its event. */
    static final Duration LIFE_CAP = Duration.ofSeconds(11);
    /** Phase B's retention: short, so that removals happen often. */
    static final Duration RETENTION_B = Duration.ofSeconds(8);
    static final Pattern REMOVAL = Pattern.compile("kid=(\\S+) from=RETIRED to=REMOVED why=\"retired since (\\S+);");
    static final String CLAIMS = TestData.kubeClaims("https://oidc.example.com", "system:serviceaccount:a:b");
    static final String START_UP = "start-up, before any event";
    static final String STORE_LOADED = "store loaded";
    static final String READY = "ready";

    enum KillMode {
        /** 0.3–4 s after the start: start-up commits, the first key's generation. */
        START_UP,
        /** 0–3 s after readiness. */
        RUNNING,
        /** 0–50 ms after the 1st to 4th rotation, mirror or key-file event of this life. */
        AFTER_EVENT
    }

    @TempDir
    Path work;

    static {
        // grpc-netty asks every domain-socket connection for SO_KEEPALIVE, and the client reconnects after each kill.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.netty.bootstrap"))
                .setLevel(ch.qos.logback.classic.Level.ERROR);
    }

    @Test
    void killNineThroughRotationsLosesNoKeyAndNeverSignsWithAnUnpublishedOne() throws Exception {
        long seed = Long.getLong("fault.seed", System.currentTimeMillis());
        Random random = new Random(seed);
        // Phase B needs a retirement plus retention before a start to see a removal, so it gets more of the fast lives.
        int livesA = FaultRun.scaled(6, 60);
        int livesB = FaultRun.scaled(8, 60);
        int livesC = FaultRun.scaled(6, 60);
        SecretScan scan = new SecretScan();
        List<String> common = List.of("--issuer.url=https://oidc.example.com",
                "--issuer.rotation.publish-ahead=1s", "--issuer.http.max-age=1s", "--issuer.rotation.check-interval=200ms",
                "--issuer.rotation.max-keys=100");
        Path signerDir = work.resolve("signer");
        // The signer needs max-lifetime >= 10m, so retention 10m; max-keys 100 holds 10m / 7s + 2 keys (at 4 s it could not).
        Loop signer = new Loop("A: external signer", signerDir, true, Duration.ofMinutes(10), random, scan,
                concat(common, "--issuer.signer.socket=" + signerDir.resolve("signer.sock"), "--issuer.rotation.period=7s",
                        "--issuer.signer.refresh-hint=1s", "--issuer.tokens.max-lifetime=10m", "--issuer.rotation.retention=10m"));
        Loop keyFiles = new Loop("B: key files", work.resolve("key-files"), false, RETENTION_B, random, scan,
                concat(common, "--issuer.key-files.directory=pki", "--issuer.rotation.period=4s", "--issuer.tokens.max-lifetime=5s",
                        "--issuer.rotation.retention=" + RETENTION_B.toSeconds() + "s"));
        Path tokenSignerDir = work.resolve("token-signer");
        Token token = Token.create(work.resolve("hsm"));
        Loop onToken = new Loop("C: external signer, keys on a PKCS#11 token", tokenSignerDir, true,
                Duration.ofMinutes(10), random, scan, concat(common, "--issuer.signer.socket="
                        + tokenSignerDir.resolve("signer.sock"), "--issuer.rotation.period=7s",
                        "--issuer.signer.refresh-hint=1s", "--issuer.tokens.max-lifetime=10m",
                        "--issuer.rotation.retention=10m", "--issuer.keys.custody=pkcs11",
                        "--issuer.keys.pkcs11.library=" + SoftHsm.MODULE, "--issuer.keys.pkcs11.token-label=" + Token.LABEL,
                        "--issuer.keys.pkcs11.pin-file=" + token.pinFile()), token);
        long start = System.nanoTime();
        signer.run(livesA);
        keyFiles.run(livesB);
        onToken.run(livesC);
        List<Loop> loops = List.of(signer, keyFiles, onToken);
        loops.forEach(Loop::scanEverything);

        List<String> lines = new ArrayList<>();
        lines.add("- seed " + seed + " (-Dfault.seed), JVM options " + JarProcess.SHORT_LIVED + ", total " + seconds(System.nanoTime() - start));
        loops.forEach(l -> l.report(lines));
        lines.add("- " + scan.summary());
        scan.hits().forEach(h -> lines.add("  - HIT " + h.what() + " in " + h.where()));
        FaultRun.report("crash-loop", lines);

        for (Loop l : loops) {
            assertThat(l.invalidStores).as(l.name + ": stores that did not load").isEmpty();
            assertThat(l.keysLost).as(l.name + ": keys lost").isEmpty();
            assertThat(l.unpublished).as(l.name + ": kids signed but not published").isEmpty();
            assertThat(l.regressions).as(l.name + ": revisions or states that went back").isEmpty();
            assertThat(l.unexpectedExits).as(l.name + ": lives that ended without a kill").isEmpty();
            assertThat(l.crashes).isEqualTo(l == signer ? livesA : l == keyFiles ? livesB : livesC);
            // A restart keeps a NEXT key's confirmation until the mirrors are checked again (GateStatus.unchecked).
            assertThat(l.confirmationsLostAtStart).as(l.name + ": confirmations dropped by a start").isZero();
            assertThat(l.auditGaps).as(l.name + ": committed states without their audit line").isEmpty();
            // Not vacuous: the loop went through every step of a rotation.
            assertThat(l.transitions).as(l.name + ": audited transitions").containsKeys(l.expectedTransitions());
            assertThat(l.activeKids).as(l.name + ": distinct ACTIVE kids").hasSizeGreaterThanOrEqualTo(FaultRun.scaled(2, 8));
            assertThat(l.killsAfter.keySet()).as(l.name + ": kills right after a rotation, mirror or key-file step")
                    .anyMatch(e -> !List.of(START_UP, STORE_LOADED, READY).contains(e));
            assertThat(l.finalJwks).as(l.name + ": the JWKS of the final clean start").contains(l.finalActiveKid);
        }
        for (Loop l : List.of(signer, onToken)) {
            assertThat(l.signingFailure).as(l.name + ": the signing client").isNull();
            assertThat(l.tokens.get()).as(l.name + ": tokens signed").isPositive();
        }
        // Not vacuous: the token held the keys, and the store none of them.
        assertThat(onToken.token.maxObjects).as("private key objects on the token").isPositive();
        assertThat(onToken.token.keyFiles).as("KID.key files in the pkcs11 store").isZero();
        assertThat(keyFiles.removals).as("RETIRED keys removed after retention").isPositive();
        assertThat(scan.hits()).as("private key material outside the key store").isEmpty();
    }

    /**
     * Phase C's token, read from outside the JVM with pkcs11-tool while no process runs, and what it showed: the
     * orphans (objects no committed set lets sign, left by a kill between creating a key and committing it, or between
     * a retirement and its destroy) each check found, and those of them a later life destroyed.
     */
    static final class Token {
        static final String LABEL = "crash", PIN = "2468-user";
        final SoftHsm hsm;
        final Set<String> orphansCreated = new LinkedHashSet<>();
        final Set<String> orphansDestroyed = new LinkedHashSet<>();
        Set<String> orphansNow = Set.of();
        int maxObjects;
        int keyFiles;
        int destroyLogLines;

        private Token(SoftHsm hsm) {
            this.hsm = hsm;
        }

        static Token create(Path dir) throws IOException {
            SoftHsm hsm = SoftHsm.create(dir);
            hsm.initToken(LABEL, PIN);
            return new Token(hsm);
        }

        Path pinFile() {
            return hsm.pinFile(LABEL);
        }

        Set<String> objects() {
            try {
                Set<String> labels = new LinkedHashSet<>();
                hsm.privateKeys(LABEL, PIN).forEach(o -> labels.add(o.label()));
                maxObjects = Math.max(maxObjects, labels.size());
                return labels;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The objects no set lets sign; an orphan of an earlier check that is gone now was destroyed. */
        void observe(Set<String> objects, Set<String> signable) {
            Set<String> orphans = new LinkedHashSet<>(objects);
            orphans.removeAll(signable);
            orphansNow.stream().filter(o -> !objects.contains(o)).forEach(orphansDestroyed::add);
            orphansCreated.addAll(orphans);
            orphansNow = orphans;
        }
    }

    /** A custody named pkcs11 that only reads the store: the checks load it with no token in this JVM. */
    record OutsideTheStore() implements io.kubeoidc.custody.KeyCustody {
        public String name() {
            return "pkcs11";
        }

        public String location() {
            return "pkcs11:token=" + Token.LABEL;
        }

        public boolean keepsPrivateKeysInStore() {
            return false;
        }

        public KeyHandle create(io.kubeoidc.keys.KeySpec spec) {
            throw new UnsupportedOperationException("read only");
        }

        public KeyHandle adopt(io.kubeoidc.keys.SigningKey key) {
            throw new UnsupportedOperationException("read only");
        }

        public KeyHandle open(io.kubeoidc.keys.VerificationKey key, Optional<java.security.PrivateKey> stored) {
            return new KeyHandle() {
                public io.kubeoidc.keys.VerificationKey verificationKey() {
                    return key;
                }

                public com.nimbusds.jose.JWSSigner signer() {
                    throw new UnsupportedOperationException("read only");
                }

                public Optional<java.security.PrivateKey> storableKey() {
                    return Optional.empty();
                }
            };
        }

        public void destroy(String kid) {
            throw new UnsupportedOperationException("read only");
        }

        public Set<String> kids() {
            return Set.of();
        }
    }

    /** What the store held for a kid at the last check. */
    record Seen(KeyState state, Instant since, byte[] privateKey) {}

    /** One phase: a state directory, the lives of the service on it, and what was counted. */
    static final class Loop {
        final String name;
        final Path dir;
        final boolean signer;
        final Duration retention;
        final Random random;
        final SecretScan scan;
        final List<String> args;
        final Path keysDir;
        final Path mirrorJwks;
        final Path pki;
        /** Phase C's token, or null when the store holds the private keys (custody files). */
        final Token token;

        final Map<String, Seen> seen = new HashMap<>();
        final Map<String, Set<KeyState>> statesSeen = new HashMap<>();
        final Set<String> bypassKids = new LinkedHashSet<>();
        final Set<String> activeKids = new LinkedHashSet<>();
        final Map<String, Integer> transitions = new TreeMap<>();
        final List<String> auditGaps = new ArrayList<>();
        final Map<String, Instant> removalAudits = new HashMap<>(); // kid → retired since, from its removal's audit line
        final Map<String, Map<KillMode, Integer>> killsAfter = new TreeMap<>();
        // The audit line comes after its commit, and a key-file or mirror write follows within a millisecond: this
        // histogram shows the step of the killed life even when such a write was its last event.
        final Map<String, Map<KillMode, Integer>> killsAfterAudit = new TreeMap<>();
        final List<String> keysLost = new ArrayList<>();
        final List<String> invalidStores = new ArrayList<>();
        final List<String> unpublished = Collections.synchronizedList(new ArrayList<>());
        final List<String> regressions = new ArrayList<>();
        final List<String> unexpectedExits = new ArrayList<>();
        final Set<String> signedBeforeFirstMirror = ConcurrentHashMap.newKeySet();
        final List<String> outputs = new ArrayList<>(); // every life's log and HTTP response, scanned at the end
        final AtomicInteger tokens = new AtomicInteger();
        final AtomicInteger failedCalls = new AtomicInteger();
        final Set<String> signingKids = ConcurrentHashMap.newKeySet();
        int crashes;
        int confirmationsLostAtStart;
        int removals;
        int saKeyVersions;
        int bootstrapUnmirrored;
        int maxTempAfterKill;
        int leftoverTemp;
        long revision;
        byte[] lastSaKey;
        long elapsed;
        long lifeNanos;
        final List<Long> readyNanos = new ArrayList<>();
        String finalActiveKid;
        List<String> finalJwks = List.of();
        private volatile boolean stopSigning;
        volatile Exception signingFailure;

        Loop(String name, Path dir, boolean signer, Duration retention, Random random, SecretScan scan, List<String> args) {
            this(name, dir, signer, retention, random, scan, args, null);
        }

        Loop(String name, Path dir, boolean signer, Duration retention, Random random, SecretScan scan, List<String> args,
             Token token) {
            this.token = token;
            this.name = name;
            this.dir = dir;
            this.signer = signer;
            this.retention = retention;
            this.random = random;
            this.scan = scan;
            this.args = args;
            this.keysDir = dir.resolve("data/keys");
            this.mirrorJwks = dir.resolve("data/public/openid/v1/jwks");
            this.pki = dir.resolve("pki");
        }

        String[] expectedTransitions() {
            var t = new ArrayList<>(List.of("NEW→ACTIVE", "NEW→NEXT", "NEXT→NEXT (confirmed)", "NEXT→ACTIVE", "ACTIVE→RETIRED"));
            if (!signer) {
                t.add("RETIRED→REMOVED");
            }
            return t.toArray(String[]::new);
        }

        void run(int lives) throws Exception {
            long start = System.nanoTime();
            Files.createDirectories(dir);
            List<KillMode> modes = new ArrayList<>();
            for (int i = 0; i < lives; i++) {
                modes.add(KillMode.values()[i % KillMode.values().length]);
            }
            Collections.shuffle(modes, random);
            Thread signing = signer ? startSigning() : null;
            try {
                for (int i = 0; i < lives && invalidStores.isEmpty(); i++) {
                    life(i + 1, modes.get(i));
                }
                if (invalidStores.isEmpty()) {
                    finalCleanStart();
                }
            } finally {
                if (signing != null) {
                    stopSigning = true;
                    signing.join(10_000);
                }
            }
            elapsed = System.nanoTime() - start;
            // Signing before the first mirror write is the first key's recorded bypass, and nothing else.
            signedBeforeFirstMirror.stream().filter(k -> !bypassKids.contains(k))
                    .forEach(k -> unpublished.add("kid " + k + " signed before any mirror write without a recorded bypass"));
        }

        String[] args(int port, int mgmt) {
            return concat(args, "--server.port=" + port, "--management.server.port=" + mgmt).toArray(String[]::new);
        }

        JarProcess start(int port, int mgmt) throws IOException {
            return JarProcess.start(dir, JarProcess.SHORT_LIVED, token == null ? Map.of() : token.hsm.environment(),
                    args(port, mgmt));
        }

        void life(int index, KillMode mode) throws Exception {
            int port = TestData.freePort();
            int mgmt = TestData.freePort();
            long start = System.nanoTime();
            JarProcess p = start(port, mgmt);
            String log;
            try {
                switch (mode) {
                    case START_UP -> watch(p, start + millis(300 + random.nextInt(3700)), 0);
                    case RUNNING -> {
                        p.awaitReady(mgmt);
                        readyNanos.add(System.nanoTime() - start);
                        fetchDocuments(port);
                        watch(p, System.nanoTime() + millis(random.nextInt(3001)), 0);
                    }
                    case AFTER_EVENT -> {
                        if (watch(p, start + LIFE_CAP.toNanos(), 1 + random.nextInt(4))) {
                            Thread.sleep(random.nextInt(51));
                        }
                    }
                }
                if (!p.alive()) {
                    unexpectedExits.add("life " + index + " exited by itself:\n" + p.output());
                }
                p.kill();
                crashes++;
                lifeNanos += System.nanoTime() - start;
                log = p.output();
                outputs.add(log);
                tally(killsAfter, lastEvent(log), mode);
                tally(killsAfterAudit, lastAudit(log), mode);
            } finally {
                p.close();
            }
            checkState("after kill " + index + " (" + mode + ")", log);
        }

        /** Until the deadline, or until this life has logged {@code events} events; true in the latter case. */
        boolean watch(JarProcess p, long deadline, int events) throws InterruptedException {
            while (System.nanoTime() < deadline && p.alive()) {
                if (!signer) {
                    checkKeyFiles("while running");
                }
                if (events > 0 && p.output().lines().filter(l -> event(l) != null).count() >= events) {
                    return true;
                }
                Thread.sleep(5);
            }
            return false;
        }

        void finalCleanStart() throws Exception {
            int port = TestData.freePort();
            int mgmt = TestData.freePort();
            String log;
            try (JarProcess p = start(port, mgmt).awaitReady(mgmt)) {
                Thread.sleep(1000); // a mirror pass and a few signatures
                fetchDocuments(port);
                finalActiveKid = RotationIT.activeKid(mgmt);
                finalJwks = RotationIT.jwksKids(port);
                p.stop();
                log = p.output();
                outputs.add(log);
            }
            checkState("after the final clean stop", log);
            leftoverTemp = tempFiles(keysDir);
        }

        void fetchDocuments(int port) throws Exception {
            for (String path : List.of("/openid/v1/jwks", "/.well-known/openid-configuration")) {
                outputs.add(RotationIT.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(), HttpResponse.BodyHandlers.ofString()).body());
            }
        }

        /**
         * The checks from outside, with the library, while no process runs. {@code log} is the life just ended:
         * every state the store gained in it must have its audit line there (no later process logs it).
         */
        void checkState(String when, String log) {
            Set<String> audited = countAudit(log);
            StoredKeys stored;
            try {
                stored = token == null ? new DirectoryKeyStore(keysDir).load()
                        : new DirectoryKeyStore(keysDir, new OutsideTheStore()).load();
            } catch (RuntimeException e) {
                invalidStores.add(when + ": " + e);
                return;
            }
            Instant now = Instant.now();
            KeySet set = stored.keySet();
            if (set.revision() < revision) {
                regressions.add(when + ": revision " + set.revision() + " after " + revision);
            }
            revision = set.revision();
            for (var e : List.copyOf(seen.entrySet())) {
                if (set.find(e.getKey()).isPresent()) {
                    continue;
                }
                seen.remove(e.getKey());
                Seen last = e.getValue();
                // Removed as the policy says: seen RETIRED, or retired and removed within one life (the audit says when).
                Instant retired = last.state() == KeyState.RETIRED ? last.since() : removalAudits.get(e.getKey());
                if (retired != null && !now.isBefore(retired.plus(retention))) {
                    removals++;
                    auditGap(audited, when, e.getKey(), "REMOVED", log);
                } else {
                    keysLost.add(when + ": kid " + e.getKey() + " was " + last.state() + " since " + last.since()
                            + " and is gone");
                }
            }
            if (set.keys().stream().filter(k -> k.state() == KeyState.ACTIVE).count() > 1) {
                invalidStores.add(when + ": more than one ACTIVE key");
            }
            for (ManagedKey k : set.keys()) {
                KeyHandle priv = stored.signingKeys().get(k.kid());
                byte[] encoded = priv == null ? null : priv.storableKey().map(java.security.Key::getEncoded).orElse(null);
                Seen last = seen.get(k.kid());
                // A key that can still sign keeps its private key; a RETIRED key must have lost it (it never signs
                // again, so every store destroys it when the key leaves ACTIVE).
                if (k.state() != KeyState.RETIRED && last != null && last.privateKey() != null
                        && !Arrays.equals(last.privateKey(), encoded)) {
                    keysLost.add(when + ": kid " + k.kid() + " (" + k.state() + ") lost or changed its private key");
                }
                if (k.state() == KeyState.RETIRED && encoded != null) {
                    invalidStores.add(when + ": RETIRED kid " + k.kid() + " still holds its private key");
                }
                if (last != null && k.state().ordinal() < last.state().ordinal()) { // NEXT, ACTIVE, RETIRED
                    regressions.add(when + ": kid " + k.kid() + " went from " + last.state() + " back to " + k.state());
                }
                if (encoded != null && (last == null || last.privateKey() == null)) {
                    scan.addKey(k.kid(), priv.storableKey().orElseThrow());
                }
                seen.put(k.kid(), new Seen(k.state(), k.stateSince(), encoded));
                if (statesSeen.computeIfAbsent(k.kid(), x -> EnumSet.noneOf(KeyState.class)).add(k.state())) {
                    auditGap(audited, when, k.kid(), k.state().name(), log);
                }
                if (k.gateBypass() != null) {
                    bypassKids.add(k.kid());
                }
            }
            set.active().ifPresent(a -> {
                activeKids.add(a.kid());
                Optional<JWKSet> mirror = mirrored();
                if (mirror.isEmpty() && a.gateBypass() != null) {
                    bootstrapUnmirrored++; // the first key signs at once, by design; nothing was published before it
                } else if (mirror.isEmpty() || mirror.get().getKeyByKeyId(a.kid()) == null) {
                    unpublished.add(when + ": ACTIVE kid " + a.kid() + " is not in the mirror JWKS");
                }
            });
            if (!signer) {
                checkKeyFiles(when);
            }
            if (token != null) {
                checkToken(when, stored, log);
            }
            maxTempAfterKill = Math.max(maxTempAfterKill, tempFiles(keysDir));
        }

        /**
         * Custody pkcs11, from outside the JVM: every key the committed set lets sign has its object on the token (a
         * missing one is a key lost, as a destroyed orphan that a set still names would be), the store holds no
         * KID.key, and objects no set lets sign are counted as orphans until a life destroys them.
         */
        void checkToken(String when, StoredKeys stored, String log) {
            Set<String> objects = token.objects();
            for (String kid : stored.signingKeys().keySet()) {
                if (!objects.contains(kid)) {
                    keysLost.add(when + ": kid " + kid + " can sign but has no private key object on the token");
                }
            }
            try (Stream<Path> files = Files.list(keysDir)) {
                long keyFiles = files.filter(f -> f.getFileName().toString().endsWith(".key")).count();
                token.keyFiles += (int) keyFiles;
                if (keyFiles > 0) {
                    invalidStores.add(when + ": " + keyFiles + " KID.key files in a pkcs11 store");
                }
            } catch (NoSuchFileException notYet) {
                // no store yet
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            token.destroyLogLines += (int) log.lines().filter(l -> l.contains("Destroyed orphan key")).count();
            token.observe(objects, stored.signingKeys().keySet());
        }

        /** What kube-apiserver signs with (sa.key) must be in what it verifies with (sa.pub) and in the public copy. */
        void checkKeyFiles(String when) {
            Path saKey = pki.resolve("sa.key");
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(saKey);
            } catch (NoSuchFileException notYet) {
                return;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            if (Arrays.equals(bytes, lastSaKey)) {
                return;
            }
            lastSaKey = bytes;
            saKeyVersions++;
            List<String> pub = RotationIT.kids(pki.resolve("sa.pub"));
            Optional<JWKSet> mirror = mirrored();
            for (String kid : RotationIT.kids(saKey)) {
                signingKids.add(kid);
                if (!pub.contains(kid)) {
                    unpublished.add(when + ": sa.key kid " + kid + " is not in sa.pub");
                }
                if (mirror.isEmpty()) {
                    signedBeforeFirstMirror.add(kid);
                } else if (mirror.get().getKeyByKeyId(kid) == null) {
                    unpublished.add(when + ": sa.key kid " + kid + " is not in the mirror JWKS");
                }
            }
        }

        Optional<JWKSet> mirrored() {
            try {
                return Optional.of(JWKSet.parse(Files.readString(mirrorJwks)));
            } catch (NoSuchFileException notYet) {
                return Optional.empty();
            } catch (IOException | java.text.ParseException e) {
                throw new IllegalStateException(mirrorJwks + " is unreadable", e); // written by rename: never partial
            }
        }

        /** kube-apiserver's part: sign all the time; every token's kid must already be in the public copy. */
        Thread startSigning() {
            Thread t = new Thread(() -> {
                try (SignerClient client = new SignerClient(dir.resolve("signer.sock"))) {
                    while (!stopSigning) {
                        signOnce(client);
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    signingFailure = e;
                }
            }, "crash-loop-signer");
            t.start();
            return t;
        }

        void signOnce(SignerClient client) throws Exception {
            SignJWTResponse r;
            try {
                r = client.v1.withDeadlineAfter(2, TimeUnit.SECONDS).sign(SignJWTRequest.newBuilder().setClaims(CLAIMS).build());
            } catch (StatusRuntimeException down) { // dead, dying or starting: expected here
                failedCalls.incrementAndGet();
                Thread.sleep(30);
                client.channel.resetConnectBackoff(); // reconnect at once when the next life listens
                return;
            }
            JWSObject jws = JWSObject.parse(r.getHeader() + "." + CLAIMS + "." + r.getSignature());
            String kid = jws.getHeader().getKeyID();
            tokens.incrementAndGet();
            signingKids.add(kid);
            Optional<JWKSet> mirror = mirrored();
            JWK key = mirror.map(m -> m.getKeyByKeyId(kid)).orElse(null);
            if (mirror.isEmpty()) {
                signedBeforeFirstMirror.add(kid);
            } else if (key == null) {
                unpublished.add("a token of kid " + kid + " was signed while the mirror JWKS lacked the kid");
            } else if (!jws.verify(new RSASSAVerifier(key.toRSAKey()))) {
                unpublished.add("a token of kid " + kid + " does not verify with the published key");
            }
        }

        void auditGap(Set<String> audited, String when, String kid, String state, String log) {
            if (!audited.contains(kid + " to=" + state)) {
                String last = log.strip().substring(log.strip().lastIndexOf('\n') + 1);
                auditGaps.add(when + ": kid " + kid + " " + state + "; the life's last log line: "
                        + last.substring(0, Math.min(last.length(), 200)));
            }
        }

        /** Counts the audit lines of one life; returns them as "KID to=STATE". */
        Set<String> countAudit(String log) {
            Set<String> audited = new LinkedHashSet<>();
            boolean started = false;
            for (String line : log.split("\n")) {
                Matcher m = AUDIT.matcher(line);
                started |= line.contains("Started IssuerApplication");
                if (m.find()) {
                    transitions.merge(event(line), 1, Integer::sum);
                    audited.add(m.group(1) + " to=" + m.group(3));
                    Matcher r = REMOVAL.matcher(line);
                    if (r.find()) {
                        removalAudits.put(r.group(1), Instant.parse(r.group(2)));
                    }
                    if (!started && m.group(4).startsWith("confirmation lost")) {
                        confirmationsLostAtStart++;
                    }
                }
            }
            return audited;
        }

        /** Logs, HTTP responses, and every file of the state directory that is not a private key. */
        void scanEverything() {
            for (int i = 0; i < outputs.size(); i++) {
                scan.scan(name + " output " + (i + 1), outputs.get(i));
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String n = f.getFileName().toString();
                    if (!n.endsWith(".key") && !(n.startsWith(".") && n.contains(".key.tmp-"))) {
                        scan.scan(f.toString(), Files.readAllBytes(f));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        void report(List<String> lines) {

            lines.add("");
            lines.add("### " + name);
            lines.add("");
            lines.add("- options: " + String.join(" ", args));
            Map<KillMode, Long> modes = killsAfter.values().stream().flatMap(m -> m.entrySet().stream())
                    .collect(Collectors.groupingBy(Map.Entry::getKey, () -> new EnumMap<>(KillMode.class),
                            Collectors.summingLong(Map.Entry::getValue)));
            lines.add("- crashes: " + crashes + " " + modes + " in " + seconds(elapsed) + " (mean life "
                    + seconds(crashes == 0 ? 0 : lifeNanos / crashes) + ", mean start to ready "
                    + seconds((long) readyNanos.stream().mapToLong(Long::longValue).average().orElse(0)) + ")");
            histogram(lines, "last event before each kill", killsAfter);
            histogram(lines, "last audit line of each killed life", killsAfterAudit);
            lines.add("- audited transitions (all lives): " + transitions);
            lines.add("- NEXT confirmations dropped by the start-up tick (publish-ahead restarts): " + confirmationsLostAtStart);
            lines.add("- store: final revision " + revision + ", distinct ACTIVE kids " + activeKids.size()
                    + ", RETIRED keys removed after retention " + removals + ", kids seen " + statesSeen.size());
            if (signer) {
                lines.add("- signing: " + tokens + " tokens by " + signingKids.size() + " kids, " + failedCalls
                        + " failed calls (process down), tokens of the first key before the first mirror write: "
                        + (signedBeforeFirstMirror.isEmpty() ? "none" : signedBeforeFirstMirror));
            } else {
                lines.add("- sa.key versions checked: " + saKeyVersions + " (" + signingKids.size()
                        + " kids), signing before the first mirror write: "
                        + (signedBeforeFirstMirror.isEmpty() ? "none" : signedBeforeFirstMirror));
            }
            lines.add("- ACTIVE first key found before any mirror write (recorded bypass): " + bootstrapUnmirrored);
            if (token != null) {
                lines.add("- token (pkcs11-tool after each kill): at most " + token.maxObjects + " private key objects,"
                        + " KID.key files in the store " + token.keyFiles + "; orphans created by kills "
                        + token.orphansCreated.size() + ", destroyed by a later life " + token.orphansDestroyed.size()
                        + " (\"Destroyed orphan key\" log lines " + token.destroyLogLines + "), left after the final"
                        + " clean stop " + token.orphansNow.size());
            }
            lines.add("- **keys lost " + keysLost.size() + ", invalid stores " + invalidStores.size()
                    + ", signed but not published " + unpublished.size() + "**, revisions or states gone back "
                    + regressions.size() + ", lives that ended without a kill " + unexpectedExits.size());
            Stream.of(keysLost, invalidStores, unpublished, regressions).flatMap(List::stream)
                    .forEach(s -> lines.add("  - " + s));
            lines.add("- states committed by a life that logged no audit line for them (the audit is written ahead of the commit): "
                    + auditGaps.size());
            auditGaps.forEach(g -> lines.add("  - " + g));
            lines.add("- temp files in the key store: at most " + maxTempAfterKill + " after a kill, " + leftoverTemp
                    + " after the final clean start and stop");
            lines.add("- final clean start: ACTIVE " + finalActiveKid + ", JWKS of " + finalJwks.size() + " kids");
        }
    }

    static void tally(Map<String, Map<KillMode, Integer>> kills, String label, KillMode mode) {
        kills.computeIfAbsent(label, e -> new EnumMap<>(KillMode.class)).merge(mode, 1, Integer::sum);
    }

    static void histogram(List<String> lines, String title, Map<String, Map<KillMode, Integer>> kills) {
        lines.add("- " + title + ":");
        kills.forEach((e, m) -> lines.add("  - " + e + ": " + m.values().stream().mapToInt(i -> i).sum() + " " + m));
    }

    static String lastAudit(String log) {
        String last = "none";
        Matcher m = AUDIT.matcher(log);
        while (m.find()) {
            last = event(m.group());
        }
        return last;
    }

    static String lastEvent(String log) {
        String last = START_UP;
        for (String line : log.split("\n")) {
            String e = event(line);
            if (e != null) {
                last = e;
            } else if (line.contains("Started IssuerApplication")) {
                last = READY;
            } else if (line.contains("IssuerKeys") && line.contains(": Serving ") && last.equals(START_UP)) {
                last = STORE_LOADED;
            }
        }
        return last;
    }

    /** A rotation, mirror or key-file step in a log line, or null. */
    static String event(String line) {
        Matcher m = AUDIT.matcher(line);
        if (m.find()) {
            String t = m.group(2) + "→" + m.group(3);
            return t.equals("NEXT→NEXT") ? t + (m.group(4).startsWith("confirmed") ? " (confirmed)" : " (confirmation lost)") : t;
        }
        if (line.contains("Mirrored openid/v1/jwks")) {
            return "mirror: JWKS written";
        }
        if (line.contains("Mirrored .well-known/openid-configuration")) {
            return "mirror: discovery written";
        }
        if (line.contains("kube-apiserver key files changed")) {
            return "sa.pub/sa.key written";
        }
        return null;
    }

    static int tempFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".") && n.contains(".tmp-")).count();
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> concat(List<String> list, String... more) {
        return Stream.concat(list.stream(), Stream.of(more)).toList();
    }

    static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
