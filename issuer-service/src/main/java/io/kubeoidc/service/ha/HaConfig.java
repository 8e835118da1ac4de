package io.kubeoidc.service.ha;

import io.kubeoidc.sealing.InvalidKeyEncryptionKeyException;
import io.kubeoidc.sealing.KeyEncryptionKey;
import io.kubeoidc.sealing.SealedBox;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.IssuerProperties;
import io.kubeoidc.service.config.IssuerSettings;
import io.kubeoidc.service.keys.IssuerKeys;
import io.kubeoidc.store.KeyStoreException;
import io.kubeoidc.store.RevisionFloor;
import io.kubeoidc.store.SealedKeySetFile;
import io.kubeoidc.store.etcd.EtcdConnection;
import io.kubeoidc.store.etcd.EtcdKeyStore;
import io.kubeoidc.store.etcd.EtcdLeaderElection;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Several replicas, one key set in etcd: issuer.keys.store=etcd. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${issuer.keys.store:directory}'.trim().toLowerCase() == 'etcd'")
class HaConfig {
    private static final Logger log = LoggerFactory.getLogger(HaConfig.class);

    @Bean
    HaSettings haSettings(IssuerProperties properties) {
        return HaSettings.from(properties);
    }

    @Bean
    SealedBox sealedBox(HaSettings ha) {
        try {
            SealedBox box = new SealedBox(KeyEncryptionKey.readFile(ha.encryptionKeyFile()));
            log.info("Private keys are sealed with key-encryption key {} from {}", box.keyId(), ha.encryptionKeyFile());
            return box;
        } catch (InvalidKeyEncryptionKeyException e) {
            throw new InvalidConfigurationException("issuer.keys.encryption-key-file: " + e.getMessage(),
                    "Every replica needs the same 32-byte key; docs/ha.md explains where to keep it.", e);
        }
    }

    @Bean(destroyMethod = "")
    EtcdConnection etcdConnection(HaSettings ha) {
        try {
            return new EtcdConnection(ha.etcd());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigurationException("issuer.keys.etcd: " + e.getMessage(),
                    "Check the CA, certificate and key paths (docs/ha.md).", e);
        }
    }

    @Bean(destroyMethod = "")
    EtcdLeaderElection leaderElection(EtcdConnection etcd, HaSettings ha, Clock clock) {
        return new EtcdLeaderElection(etcd, ha.replicaId(), ha.leaseTtl(), clock);
    }

    /**
     * The highest key-set revision this replica has served: the revision of its sealed local copy (written with
     * every set it serves), so a restart remembers it; a lower revision in etcd is a rollback and refused.
     */
    @Bean
    RevisionFloor.InMemory highWaterMark(SealedBox box, HaSettings ha) {
        long mark = 0;
        try {
            mark = new SealedKeySetFile(ha.localCopy(), box).read().map(c -> c.keys().keySet().revision()).orElse(0L);
        } catch (KeyStoreException e) {
            log.warn("{}; starting without a revision high-water mark, so a rolled-back key set in etcd is not"
                    + " detected until this replica has served a newer one", e.getMessage());
        }
        log.info("Key-set revision high-water mark: {} (from {})", mark, ha.localCopy());
        return new RevisionFloor.InMemory(mark);
    }

    @Bean
    EtcdKeyStore keyStore(EtcdConnection etcd, SealedBox box, Clock clock, EtcdLeaderElection election,
                          RevisionFloor.InMemory highWaterMark, io.kubeoidc.custody.KeyCustody custody) {
        // Only the leader writes, and only while it still holds the leader key (the fencing token).
        return new EtcdKeyStore(etcd, box, clock, election::fence, highWaterMark, custody);
    }

    @Bean
    ReplicaKeySource replicaKeySource(EtcdKeyStore store, SealedBox box, HaSettings ha, Clock clock,
                                      RevisionFloor.InMemory highWaterMark) {
        return new ReplicaKeySource(store, new SealedKeySetFile(ha.localCopy(), box, store.custody()), clock,
                ha.degradedAfter(), highWaterMark);
    }

    @Bean
    IssuerKeys issuerKeys(IssuerSettings settings, ReplicaKeySource source) {
        IssuerKeys keys = new IssuerKeys(settings, source, source::served);
        source.refusedAtStart().ifPresent(keys.rollbacks()::refused);
        log.info("High availability: key set in {}{}", source.describe(),
                source.servingLocalCopy() ? "; started degraded, from the local copy" : "");
        return keys;
    }

    /** Closed on shutdown: revokes the lease so another replica leads at once. */
    @Bean(destroyMethod = "close")
    ReplicaCoordinator replicaCoordinator(EtcdConnection etcd, EtcdKeyStore store, EtcdLeaderElection election,
                                          ReplicaKeySource source,
                                          IssuerKeys keys, HaSettings ha, Clock clock,
                                          io.micrometer.core.instrument.MeterRegistry registry) {
        return new ReplicaCoordinator(etcd, store, election, source, keys, clock, ha.degradedAfter(), registry);
    }
}
