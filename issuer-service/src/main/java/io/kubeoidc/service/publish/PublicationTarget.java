package io.kubeoidc.service.publish;

import java.util.Set;

/**
 * A place relying parties read the documents from. The rotation gate opens for a NEXT key only when
 * every target confirms a document that contains it. The blob mirror adds a target that confirms
 * only what it has read back anonymously.
 */
public interface PublicationTarget {
    String name();

    /** Kids in the document this target verifiably serves right now. */
    Set<String> confirmedKids();

    /** Whether this process has checked the target at least once; until then it neither confirms nor denies. */
    default boolean checked() {
        return true;
    }
}
