package io.kubeoidc.service.custody;

import io.kubeoidc.custody.KeyCustody;
import io.kubeoidc.custody.KeyCustodyException;
import io.kubeoidc.custody.OrphanWatch;
import io.kubeoidc.custody.OrphanWatch.Orphans;
import io.kubeoidc.custody.pkcs11.Pkcs11Custody;
import io.kubeoidc.keyset.KeySet;
import io.kubeoidc.keyset.ManagedKey;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a custody that keeps private keys outside the store (a PKCS#11 token): whether it can sign now (for
 * readiness and the rotation loop, which takes no step while it cannot), and its orphans, which it destroys once
 * {@link OrphanWatch} proves them abandoned. For the files custody there is nothing to watch.
 */
public class CustodyMonitor {
    private static final Logger log = LoggerFactory.getLogger(CustodyMonitor.class);

    private final KeyCustody custody;
    private final OrphanWatch watch = new OrphanWatch();
    private volatile Orphans orphans = Orphans.NONE;
    private volatile String problem;

    public CustodyMonitor(KeyCustody custody) {
        this.custody = custody;
    }

    public KeyCustody custody() {
        return custody;
    }

    /** Empty while the custody answers; otherwise why not. Each change is logged once, with the reason. */
    public Optional<String> unavailable() {
        if (!(custody instanceof Pkcs11Custody token)) {
            return Optional.empty();
        }
        Optional<String> now = token.unavailable();
        String before = problem;
        problem = now.orElse(null);
        if (now.isPresent() && !now.get().equals(before)) {
            log.error("Key custody {} is unavailable: {}. Sign answers UNAVAILABLE and no rotation step is taken until"
                    + " it is back", custody.location(), now.get());
        } else if (now.isEmpty() && before != null) {
            log.info("Key custody {} is reachable again (reconnected and logged in)", custody.location());
        }
        return now;
    }

    /**
     * Lists the custody against {@code committed} (just read from the store): records the orphans and destroys
     * those no commit can name any more. Called by whoever rotates (the leader), after its step.
     */
    public Orphans sweep(KeySet committed) {
        if (custody.keepsPrivateKeysInStore()) {
            return Orphans.NONE;
        }
        // named as able to sign: a RETIRED key whose destroy failed is left over too, and can never sign again
        Set<String> named = committed.keys().stream().filter(ManagedKey::hasPrivateKey).map(ManagedKey::kid)
                .collect(Collectors.toSet());
        Orphans found;
        try {
            found = watch.observe(custody.kids(), named, committed.revision());
        } catch (KeyCustodyException e) {
            log.warn("Could not list the keys on {} to look for orphans: {}", custody.location(), e.getMessage());
            return orphans;
        }
        Set<String> left = new TreeSet<>(found.all());
        for (String label : found.destroyable()) {
            try {
                custody.destroy(label);
                watch.forget(label);
                left.remove(label);
                log.warn("Destroyed orphan key {} on {}: no key set named it at revision {} and later commits still do"
                        + " not (left by a crash or a lost race between creating it and committing)", label,
                        custody.location(), committed.revision());
            } catch (KeyCustodyException e) {
                log.warn("Could not destroy orphan key {} on {}: {}", label, custody.location(), e.getMessage());
            }
        }
        if (!left.isEmpty() && !left.equals(orphans.all())) {
            log.warn("{} holds {} key(s) no key set names: {}; each is destroyed once a later commit still does not"
                    + " name it", custody.location(), left.size(), left);
        }
        orphans = new Orphans(new TreeSet<>(left), new TreeSet<>());
        return orphans;
    }

    /** The orphans found by the last sweep, for health. */
    public Orphans orphans() {
        return orphans;
    }
}
