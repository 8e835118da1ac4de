package io.kubeoidc.service.publish;

import java.util.Optional;

/**
 * Where a mirror keeps its copies (an Azure container, a directory; S3 or GCS would fit the same way).
 * Writes are conditional on the version that was read, so two writers never overwrite each other blindly.
 */
public interface MirrorStorage {

    /** One stored document and the headers it will be served with (null where the storage has none). */
    record StoredObject(byte[] bytes, String contentType, String cacheControl, String version) {}

    /** Another writer changed the object since it was read. */
    final class Conflict extends RuntimeException {
        public Conflict(String message) {
            super(message);
        }
    }

    String describe();

    /** Why anonymous readers get 401, 403 or 409 from this kind of storage, and what to change. */
    default String notPublic() {
        return "anonymous readers may not read it";
    }

    Optional<StoredObject> read(String name);

    /**
     * @param expectedVersion the version read before, or null when the object did not exist
     * @throws Conflict when the stored version is no longer {@code expectedVersion}
     */
    void write(String name, byte[] bytes, String contentType, String cacheControl, String expectedVersion);
}
