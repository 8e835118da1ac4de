package io.kubeoidc.custody.pkcs11;

import static io.kubeoidc.custody.pkcs11.Ck.*;

import io.kubeoidc.custody.pkcs11.Pkcs11TokenException.Reason;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
// The JDK's internal PKCS#11 binding (jdk.crypto.cryptoki, exported to us with
// --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED: compiler, surefire, failsafe and the
// jar manifest's Add-Exports). Chosen deliberately over SunPKCS11's public KeyStore API: that API finds private
// keys only through an X.509 certificate with the same CKA_ID, cannot set CKA_LABEL/CKA_ID on a generated key
// without storing such a certificate, cannot list or destroy a key object without one, and hides the PKCS#11
// return values (CKR_PIN_INCORRECT, CKR_DEVICE_REMOVED, CKR_DEVICE_MEMORY) that the start errors and the
// reconnect logic need. The wrapper is the same code SunPKCS11 calls, so no new native dependency is added.
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_TOKEN_INFO;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * One PKCS#11 token: RSA key pairs on it named by kid (CKA_LABEL = CKA_ID = kid), signing with them, listing and
 * destroying them. Private key objects are token objects, private, sensitive and never extractable, so the
 * private key never exists outside the token. Sessions are pooled; after a call reports the token gone (removed,
 * session closed) the next call reconnects: finds the token again, opens a session and logs in. If that fails
 * the module itself is re-initialised (C_Finalize, C_Initialize): a module whose device went away (p11-kit's client
 * after its server died, a network HSM's client library) answers CKR_DEVICE_ERROR until then, whatever came back.
 */
public final class Pkcs11Token implements AutoCloseable {
    /** Label of a key pair between its generation and its naming: such objects are never named by a key set. */
    public static final String PENDING_PREFIX = "kubeoidc-pending-";

    private final Pkcs11Settings settings;
    private final PKCS11 module;
    private volatile Connection connection;
    /**
     * Calls share the module (the JDK loads a module once per process, for every token on it); a re-initialisation,
     * which frees every session, waits until no call is inside it.
     */
    private static final Map<PKCS11, ReadWriteLock> IN_MODULE = new ConcurrentHashMap<>();
    private final ReadWriteLock inModule;

    private Pkcs11Token(Pkcs11Settings settings, PKCS11 module) {
        this.settings = settings;
        this.module = module;
        this.inModule = IN_MODULE.computeIfAbsent(module, m -> new ReentrantReadWriteLock());
    }

    /** Loads the module, finds the token and logs in: every start error names its cause, never the PIN. */
    public static Pkcs11Token open(Pkcs11Settings settings) {
        Pkcs11Token token = new Pkcs11Token(settings, load(settings));
        token.connection = token.connect();
        return token;
    }

    private static CK_C_INITIALIZE_ARGS initializeArgs() {
        CK_C_INITIALIZE_ARGS args = new CK_C_INITIALIZE_ARGS();
        args.flags = CKF_OS_LOCKING_OK;
        return args;
    }

    private static PKCS11 load(Pkcs11Settings settings) {
        String path = settings.library().toAbsolutePath().toString();
        if (!Files.isRegularFile(settings.library())) {
            throw new Pkcs11TokenException(Reason.MISSING_MODULE, "PKCS#11 module " + path + " does not exist");
        }
        try {
            return PKCS11.getInstance(path, "C_GetFunctionList", initializeArgs(), false);
        } catch (IOException e) {
            throw new Pkcs11TokenException(Reason.MISSING_MODULE, "PKCS#11 module " + path + " cannot be loaded: "
                    + e.getMessage());
        } catch (PKCS11Exception e) {
            throw new Pkcs11TokenException(Reason.FAILED, "PKCS#11 module " + path + " failed to initialise ("
                    + Ck.name(e.getErrorCode(), e.getMessage()) + ")");
        }
    }

    /** For messages, health and {@code keys list}: "pkcs11 token 'L'". */
    public String location() {
        return "pkcs11 " + settings.tokenName();
    }

    /** Generates an RSA key pair of {@code bits} on the token and names it by the kid its public key gets. */
    public RSAPublicKey generateRsa(int bits, Function<RSAPublicKey, String> kidOf) {
        String pending = PENDING_PREFIX + UUID.randomUUID();
        long[] pair = call("generate a key pair", (c, s) -> module.C_GenerateKeyPair(s,
                new CK_MECHANISM(CKM_RSA_PKCS_KEY_PAIR_GEN),
                publicTemplate(pending, new CK_ATTRIBUTE(CKA_MODULUS_BITS, (long) bits),
                        new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, BigInteger.valueOf(65537))),
                privateTemplate(pending)));
        RSAPublicKey key = call("read a public key", (c, s) -> publicKey(s, pair[0]));
        String kid = kidOf.apply(key);
        call("name key " + kid, (c, s) -> {
            for (long handle : pair) {
                module.C_SetAttributeValue(s, handle, names(kid));
            }
            return null;
        });
        return key;
    }

    /**
     * Puts an existing private key on the token as a sensitive, non-extractable token object named {@code kid}.
     * If the module refuses, or stores it other than asked, nothing stays on the token.
     */
    public void importRsa(String kid, RSAPrivateCrtKey key) {
        if (!handles(kid, null).isEmpty()) {
            throw new Pkcs11TokenException(Reason.REFUSED, location() + " already holds a key named " + kid);
        }
        List<Long> created = new ArrayList<>();
        try {
            call("import key " + kid, (c, s) -> {
                long priv = module.C_CreateObject(s, concat(concat(privateTemplate(kid), names(kid)),
                        new CK_ATTRIBUTE(CKA_MODULUS, key.getModulus()),
                        new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, key.getPublicExponent()),
                        new CK_ATTRIBUTE(CKA_PRIVATE_EXPONENT, key.getPrivateExponent()),
                        new CK_ATTRIBUTE(CKA_PRIME_1, key.getPrimeP()), new CK_ATTRIBUTE(CKA_PRIME_2, key.getPrimeQ()),
                        new CK_ATTRIBUTE(CKA_EXPONENT_1, key.getPrimeExponentP()),
                        new CK_ATTRIBUTE(CKA_EXPONENT_2, key.getPrimeExponentQ()),
                        new CK_ATTRIBUTE(CKA_COEFFICIENT, key.getCrtCoefficient())));
                created.add(priv);
                CK_ATTRIBUTE[] got = {new CK_ATTRIBUTE(CKA_SENSITIVE), new CK_ATTRIBUTE(CKA_EXTRACTABLE)};
                module.C_GetAttributeValue(s, priv, got);
                if (!got[0].getBoolean() || got[1].getBoolean()) {
                    throw new Pkcs11TokenException(Reason.REFUSED, location() + " stored the imported key as "
                            + (got[0].getBoolean() ? "" : "not ") + "sensitive and "
                            + (got[1].getBoolean() ? "" : "not ") + "extractable; nothing was imported");
                }
                created.add(module.C_CreateObject(s, concat(publicTemplate(kid,
                        new CK_ATTRIBUTE(CKA_MODULUS, key.getModulus()),
                        new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, key.getPublicExponent())), names(kid))));
                return null;
            });
            created.clear();
        } catch (Pkcs11TokenException e) {
            if (e.reason() == Reason.FAILED) {
                throw new Pkcs11TokenException(Reason.REFUSED, "the module of " + location() + " refused to import "
                        + kid + " as a sensitive, non-extractable key; nothing was imported (" + e.getMessage() + ")");
            }
            throw e;
        } finally {
            for (long handle : created) {
                try {
                    call("undo the import of " + kid, (c, s) -> {
                        module.C_DestroyObject(s, handle);
                        return null;
                    });
                } catch (Pkcs11TokenException ignored) {
                    // the original failure is what the operator needs; a leftover is found as an orphan
                }
            }
        }
    }

    /** RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over {@code data}, computed on the token. */
    public byte[] signRs256(String kid, byte[] data) {
        try {
            byte[] signature = call("sign with " + kid, (c, s) -> {
                module.C_SignInit(s, new CK_MECHANISM(CKM_SHA256_RSA_PKCS), c.privateHandle(kid, s));
                return module.C_Sign(s, data);
            });
            signFailure = null;
            return signature;
        } catch (Pkcs11TokenException e) {
            signFailure = new SignFailure(kid, e.getMessage());
            throw e;
        }
    }

    /** The last signature that failed, until one succeeds or the key is found again. */
    private record SignFailure(String kid, String message) {}

    private volatile SignFailure signFailure;

    public boolean holds(String kid) {
        return !handles(kid, CKO_PRIVATE_KEY).isEmpty();
    }

    /** The public half of {@code kid}, read from the token. */
    public Optional<RSAPublicKey> publicKey(String kid) {
        return call("read the public key of " + kid, (c, s) -> {
            long[] found = find(s, label(kid), new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY));
            return found.length == 0 ? Optional.<RSAPublicKey>empty() : Optional.of(publicKey(s, found[0]));
        });
    }

    /** Labels of every key object on the token (kids, and pending labels of unnamed pairs). */
    public SortedSet<String> labels() {
        return call("list keys", (c, s) -> {
            SortedSet<String> out = new TreeSet<>();
            for (long cls : new long[] {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
                for (long handle : find(s, new CK_ATTRIBUTE(CKA_CLASS, cls))) {
                    CK_ATTRIBUTE[] got = {new CK_ATTRIBUTE(CKA_LABEL)};
                    module.C_GetAttributeValue(s, handle, got);
                    char[] label = got[0].getCharArray();
                    out.add(label == null ? "" : new String(label));
                }
            }
            return out;
        });
    }

    /** Destroys every object named {@code label} (both halves of the pair); the number destroyed. */
    public int destroy(String label) {
        return call("destroy key " + label, (c, s) -> {
            long[] found = find(s, label(label));
            for (long handle : found) {
                module.C_DestroyObject(s, handle);
            }
            c.forget(label);
            return found.length;
        });
    }

    /** Empty when a session answers; otherwise why not (reconnecting first if the last call lost the token). */
    public Optional<String> problem() {
        try {
            call("check the session", (c, s) -> module.C_GetSessionInfo(s));
            SignFailure failed = signFailure;
            if (failed != null) {
                // a module may keep the session while the key is gone (a token store that vanished): look again
                if (!holds(failed.kid())) {
                    return Optional.of(failed.message());
                }
                signFailure = null;
            }
            return Optional.empty();
        } catch (Pkcs11TokenException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override
    public void close() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            c.closeAll();
        }
    }

    private List<Long> handles(String label, Long cls) {
        return call("find key " + label, (c, s) -> {
            long[] found = cls == null ? find(s, label(label)) : find(s, label(label), new CK_ATTRIBUTE(CKA_CLASS, cls));
            return Arrays.stream(found).boxed().toList();
        });
    }

    private long[] find(long session, CK_ATTRIBUTE... template) throws PKCS11Exception {
        module.C_FindObjectsInit(session, template);
        try {
            List<Long> all = new ArrayList<>();
            long[] batch;
            while ((batch = module.C_FindObjects(session, 64)).length > 0) {
                for (long h : batch) {
                    all.add(h);
                }
            }
            return all.stream().mapToLong(Long::longValue).toArray();
        } finally {
            module.C_FindObjectsFinal(session);
        }
    }

    private RSAPublicKey publicKey(long session, long handle) throws PKCS11Exception {
        CK_ATTRIBUTE[] got = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
        module.C_GetAttributeValue(session, handle, got);
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(
                    new RSAPublicKeySpec(new BigInteger(1, got[0].getByteArray()), new BigInteger(1, got[1].getByteArray())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the token returned an invalid RSA public key", e);
        }
    }

    private static CK_ATTRIBUTE label(String label) {
        return new CK_ATTRIBUTE(CKA_LABEL, label.toCharArray());
    }

    private static CK_ATTRIBUTE[] names(String kid) {
        return new CK_ATTRIBUTE[] {label(kid), new CK_ATTRIBUTE(CKA_ID, kid.getBytes(StandardCharsets.US_ASCII))};
    }

    private static CK_ATTRIBUTE[] publicTemplate(String label, CK_ATTRIBUTE... more) {
        return concat(new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY),
                new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_RSA), new CK_ATTRIBUTE(CKA_TOKEN, true),
                new CK_ATTRIBUTE(CKA_VERIFY, true), label(label)}, more);
    }

    private static CK_ATTRIBUTE[] privateTemplate(String label) {
        return new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_RSA),
                new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_PRIVATE, true),
                new CK_ATTRIBUTE(CKA_SENSITIVE, true), new CK_ATTRIBUTE(CKA_EXTRACTABLE, false),
                new CK_ATTRIBUTE(CKA_SIGN, true), label(label)};
    }

    private static CK_ATTRIBUTE[] concat(CK_ATTRIBUTE[] a, CK_ATTRIBUTE... b) {
        CK_ATTRIBUTE[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private interface SessionCall<T> {
        T apply(Connection connection, long session) throws PKCS11Exception;
    }

    /** Runs {@code body} on a pooled session; a call that finds the token gone drops the connection. */
    private <T> T call(String what, SessionCall<T> body) {
        Connection c = connection();
        inModule.readLock().lock();
        long session;
        try {
            session = c.borrow(what);
        } catch (RuntimeException e) {
            inModule.readLock().unlock();
            throw e;
        }
        boolean healthy = true;
        try {
            return body.apply(c, session);
        } catch (PKCS11Exception e) {
            long rv = e.getErrorCode();
            String cause = Ck.name(rv, e.getMessage());
            if (Ck.lostConnection(rv)) {
                healthy = false;
                drop(c);
                throw new Pkcs11TokenException(Reason.UNREACHABLE, location() + " is unreachable (" + cause
                        + ") while trying to " + what);
            }
            if (Ck.staleHandle(rv)) {
                c.forgetAll(); // the object went away (or came back under a new handle): find it again next time
            }
            if (Ck.full(rv)) {
                throw new Pkcs11TokenException(Reason.TOKEN_FULL, location() + " has no room to " + what + " (" + cause + ")");
            }
            throw new Pkcs11TokenException(Reason.FAILED, location() + " could not " + what + " (" + cause + ")");
        } finally {
            if (healthy) {
                c.giveBack(session);
            }
            inModule.readLock().unlock();
        }
    }

    private Connection connection() {
        Connection c = connection;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (connection == null) {
                connection = reconnect();
            }
            return connection;
        }
    }

    /** Not under this object's monitor: a reconnect holding it may be waiting for this caller to leave the module. */
    private void drop(Connection c) {
        boolean mine;
        synchronized (c) {
            mine = connection == c;
            if (mine) {
                connection = null;
            }
        }
        if (mine) {
            c.closeAll();
        }
    }

    private Connection reconnect() {
        try {
            return connectInModule();
        } catch (Pkcs11TokenException e) {
            if (e.reason() != Reason.UNREACHABLE && e.reason() != Reason.UNKNOWN_TOKEN) {
                throw e;
            }
            reinitialize();
            return connectInModule();
        }
    }

    private Connection connectInModule() {
        inModule.readLock().lock();
        try {
            return connect();
        } finally {
            inModule.readLock().unlock();
        }
    }

    /**
     * C_Finalize and C_Initialize on the loaded module. The JDK's binding initialises a module once, in
     * getInstance, and keeps C_Initialize package-private: reached by reflection, which needs
     * {@code --add-opens jdk.crypto.cryptoki/sun.security.pkcs11.wrapper} (the jar's manifest has Add-Opens).
     */
    private void reinitialize() {
        inModule.writeLock().lock();
        try {
            try {
                module.C_Finalize(null);
            } catch (PKCS11Exception ignored) {
                // not initialised any more (a failed re-initialisation before): initialise below all the same
            }
            Method initialize = PKCS11.class.getDeclaredMethod("C_Initialize", Object.class);
            initialize.setAccessible(true);
            initialize.invoke(module, initializeArgs());
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof PKCS11Exception p ? Ck.name(p.getErrorCode(), p.getMessage()) : String.valueOf(cause);
            throw new Pkcs11TokenException(Reason.UNREACHABLE, "PKCS#11 module " + settings.library()
                    + " failed to initialise again (" + why + ")");
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new Pkcs11TokenException(Reason.UNREACHABLE, "PKCS#11 module " + settings.library() + " cannot be"
                    + " initialised again without --add-opens jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED ("
                    + e + ")");
        } finally {
            inModule.writeLock().unlock();
        }
    }

    private Connection connect() {
        long slot = slot();
        Connection c = new Connection(slot);
        long session = c.borrow("log in");
        char[] pin = PinFile.read(settings.pinFile());
        try {
            module.C_Login(session, CKU_USER, pin);
        } catch (PKCS11Exception e) {
            long rv = e.getErrorCode();
            if (rv != CKR_USER_ALREADY_LOGGED_IN) {
                c.closeAll();
                String cause = Ck.name(rv, e.getMessage());
                if (Ck.wrongPin(rv)) {
                    throw new Pkcs11TokenException(Reason.WRONG_PIN, location() + " refused the PIN in "
                            + settings.pinFile() + " (" + cause + ")");
                }
                throw new Pkcs11TokenException(Ck.lostConnection(rv) ? Reason.UNREACHABLE : Reason.FAILED,
                        "cannot log in to " + location() + " (" + cause + ")");
            }
        } finally {
            Arrays.fill(pin, '\0');
        }
        c.giveBack(session);
        return c;
    }

    private long slot() {
        try {
            long[] slots = module.C_GetSlotList(true);
            List<String> seen = new ArrayList<>();
            for (long slot : slots) {
                if (settings.slot() != null) {
                    if (settings.slot() == slot) {
                        return slot;
                    }
                    seen.add(Long.toString(slot));
                    continue;
                }
                CK_TOKEN_INFO info = module.C_GetTokenInfo(slot);
                if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) {
                    continue; // a free slot (SoftHSM always shows one), not a token anyone could mean
                }
                String label = new String(info.label).trim();
                if (label.equals(settings.tokenLabel())) {
                    return slot;
                }
                seen.add("'" + label + "'");
            }
            seen.sort(null);
            throw new Pkcs11TokenException(Reason.UNKNOWN_TOKEN, "PKCS#11 module " + settings.library() + " has no "
                    + settings.tokenName() + (seen.isEmpty() ? "; it shows no token at all" : "; it shows " + String.join(", ", seen)));
        } catch (PKCS11Exception e) {
            throw new Pkcs11TokenException(Reason.UNREACHABLE, "PKCS#11 module " + settings.library()
                    + " cannot list its tokens (" + Ck.name(e.getErrorCode(), e.getMessage()) + ")");
        }
    }

    /** The sessions of one login, and the object handles found through them (valid until the token goes away). */
    private final class Connection {
        private final long slot;
        private final ConcurrentLinkedQueue<Long> idle = new ConcurrentLinkedQueue<>();
        private final Map<String, Long> privateHandles = new ConcurrentHashMap<>();
        private final List<Long> opened = new ArrayList<>();

        Connection(long slot) {
            this.slot = slot;
        }

        long borrow(String what) {
            Long s = idle.poll();
            if (s != null) {
                return s;
            }
            try {
                long session = module.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
                synchronized (opened) {
                    opened.add(session);
                }
                return session;
            } catch (PKCS11Exception e) {
                drop(this);
                throw new Pkcs11TokenException(Reason.UNREACHABLE, location() + " cannot open a session ("
                        + Ck.name(e.getErrorCode(), e.getMessage()) + ") to " + what);
            }
        }

        void giveBack(long session) {
            idle.add(session);
        }

        long privateHandle(String kid, long session) throws PKCS11Exception {
            Long cached = privateHandles.get(kid);
            if (cached != null) {
                return cached;
            }
            long[] found = find(session, label(kid), new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY));
            if (found.length == 0) {
                throw new Pkcs11TokenException(Reason.NO_SUCH_KEY, location() + " holds no private key named " + kid);
            }
            privateHandles.put(kid, found[0]);
            return found[0];
        }

        void forget(String kid) {
            privateHandles.remove(kid);
        }

        void forgetAll() {
            privateHandles.clear();
        }

        void closeAll() {
            idle.clear();
            synchronized (opened) {
                for (long s : opened) {
                    try {
                        module.C_CloseSession(s);
                    } catch (PKCS11Exception ignored) {
                        // the token is gone or the session already closed: nothing left to release
                    }
                }
                opened.clear();
            }
        }
    }
}
