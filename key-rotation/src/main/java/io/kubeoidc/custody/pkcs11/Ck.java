package io.kubeoidc.custody.pkcs11;

import java.util.Map;

/** The few PKCS#11 v2.40 constants this adapter uses, with the names pkcs11-tool and module logs print. */
final class Ck {
    private Ck() {}

    static final long CKO_PUBLIC_KEY = 2, CKO_PRIVATE_KEY = 3;
    static final long CKK_RSA = 0;
    static final long CKA_CLASS = 0x0, CKA_TOKEN = 0x1, CKA_PRIVATE = 0x2, CKA_LABEL = 0x3, CKA_KEY_TYPE = 0x100,
            CKA_ID = 0x102, CKA_SENSITIVE = 0x103, CKA_SIGN = 0x108, CKA_VERIFY = 0x10A, CKA_MODULUS = 0x120,
            CKA_MODULUS_BITS = 0x121, CKA_PUBLIC_EXPONENT = 0x122, CKA_PRIVATE_EXPONENT = 0x123,
            CKA_PRIME_1 = 0x124, CKA_PRIME_2 = 0x125, CKA_EXPONENT_1 = 0x126, CKA_EXPONENT_2 = 0x127,
            CKA_COEFFICIENT = 0x128, CKA_EXTRACTABLE = 0x162, CKA_NEVER_EXTRACTABLE = 0x164;
    static final long CKM_RSA_PKCS_KEY_PAIR_GEN = 0x0, CKM_SHA256_RSA_PKCS = 0x40;
    static final long CKU_USER = 1;
    static final long CKF_RW_SESSION = 0x2, CKF_SERIAL_SESSION = 0x4, CKF_OS_LOCKING_OK = 0x2,
            CKF_TOKEN_INITIALIZED = 0x400;

    static final long CKR_HOST_MEMORY = 0x2, CKR_DEVICE_ERROR = 0x30, CKR_DEVICE_MEMORY = 0x31,
            CKR_DEVICE_REMOVED = 0x32, CKR_PIN_INCORRECT = 0xA0, CKR_PIN_INVALID = 0xA1, CKR_PIN_LEN_RANGE = 0xA2,
            CKR_PIN_EXPIRED = 0xA3, CKR_PIN_LOCKED = 0xA4, CKR_SESSION_CLOSED = 0xB0,
            CKR_SESSION_HANDLE_INVALID = 0xB3, CKR_TOKEN_NOT_PRESENT = 0xE0, CKR_TOKEN_NOT_RECOGNIZED = 0xE1,
            CKR_USER_ALREADY_LOGGED_IN = 0x100, CKR_USER_NOT_LOGGED_IN = 0x101,
            CKR_CRYPTOKI_NOT_INITIALIZED = 0x190, CKR_OBJECT_HANDLE_INVALID = 0x82, CKR_KEY_HANDLE_INVALID = 0x60;

    /** Return values after which the session (or the whole token) is gone: reconnect before the next call. */
    static boolean lostConnection(long rv) {
        return rv == CKR_DEVICE_ERROR || rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_CLOSED
                || rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_TOKEN_NOT_RECOGNIZED
                || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
    }

    static boolean staleHandle(long rv) {
        return rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID;
    }

    static boolean wrongPin(long rv) {
        return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_EXPIRED
                || rv == CKR_PIN_LOCKED;
    }

    static boolean full(long rv) {
        return rv == CKR_DEVICE_MEMORY || rv == CKR_HOST_MEMORY;
    }

    private static final Map<Long, String> NAMES = Map.ofEntries(Map.entry(CKR_HOST_MEMORY, "CKR_HOST_MEMORY"),
            Map.entry(CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"), Map.entry(CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"),
            Map.entry(CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"), Map.entry(CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"),
            Map.entry(CKR_PIN_INVALID, "CKR_PIN_INVALID"), Map.entry(CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"),
            Map.entry(CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"), Map.entry(CKR_PIN_LOCKED, "CKR_PIN_LOCKED"),
            Map.entry(CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"),
            Map.entry(CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"),
            Map.entry(CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"),
            Map.entry(CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"),
            Map.entry(CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"),
            Map.entry(CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"),
            Map.entry(CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"),
            Map.entry(CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"));

    /** The JDK's message already names most values; this covers the ones it prints as hex. */
    static String name(long rv, String jdkMessage) {
        return NAMES.getOrDefault(rv, jdkMessage);
    }
}
