package io.kubeoidc.service.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Everything under {@code issuer.*}. Relaxed binding means ISSUER_URL, ISSUER_KEYS_DIRECTORY and
 * so on work as environment variables. These names are a public contract: keep them.
 *
 * @param url               the issuer; empty means the development issuer http://localhost:{server.port}
 * @param jwksUri           jwks_uri in the discovery document; empty means {issuer}/openid/v1/jwks
 * @param allowInsecureHttp accept an http:// issuer (local development only; Entra ID refuses it)
 * @param additionalUrls    further issuers whose tokens are accepted while the issuer URL moves (kube-apiserver's
 *                          second and later --service-account-issuer flags); each gets its own discovery document
 *                          over the same keys. Not "previous": during a move the new URL is additional first, then
 *                          signs while the old one is additional (docs/issuer-migration.md)
 */
@ConfigurationProperties("issuer")
public record IssuerProperties(String url, String jwksUri, @DefaultValue("false") boolean allowInsecureHttp,
                               @DefaultValue Keys keys, @DefaultValue Http http, @DefaultValue Rotation rotation,
                               @DefaultValue Tokens tokens, @DefaultValue KeyFiles keyFiles,
                               @DefaultValue Signer signer, @DefaultValue Mirror mirror,
                               @DefaultValue Publisher publisher, List<String> additionalUrls) {

    public IssuerProperties {
        additionalUrls = additionalUrls == null ? List.of() : List.copyOf(additionalUrls);
    }

    /**
     * @param directory         the directory key store (store=directory)
     * @param store             directory (one node; the default) or etcd (several control-plane replicas)
     * @param encryptionKeyFile the AES-256 key-encryption key that seals private keys in etcd and in the local
     *                          copy: 32 random bytes, raw or base64; the same file on every replica (store=etcd)
     * @param localCopy         this replica's sealed copy of the last key set it served, used to serve and sign
     *                          when it starts while etcd is unreachable (store=etcd)
     * @param custody           who holds the private keys: files (the default: in the key store itself) or
     *                          pkcs11 (on a PKCS#11 token: an HSM, a TPM, a cloud HSM)
     * @param pkcs11            the token (custody=pkcs11)
     */
    public record Keys(@DefaultValue("./data/keys") Path directory, @DefaultValue("directory") String store,
                       Path encryptionKeyFile, @DefaultValue("./data/keyset.sealed") Path localCopy,
                       @DefaultValue Etcd etcd, @DefaultValue("files") String custody, @DefaultValue Pkcs11 pkcs11) {}

    /**
     * The PKCS#11 token of custody=pkcs11.
     *
     * @param library     the module (.so)
     * @param tokenLabel  the token's label (or slot)
     * @param slot        the slot id instead of a label
     * @param pinFile     file holding the user PIN, mode 0600 or 0400
     * @param sharedToken every replica reaches this same token (a network or cloud HSM): required with store=etcd
     */
    public record Pkcs11(Path library, String tokenLabel, Long slot, Path pinFile,
                         @DefaultValue("false") boolean sharedToken) {}

    /**
     * The etcd key store and leader election (issuer.keys.store=etcd).
     *
     * @param endpoints comma-separated client URLs, e.g. https://10.0.0.1:2379,https://10.0.0.2:2379
     * @param prefix    every key the issuer writes starts with it; an etcd role can be limited to it
     * @param caFile    CA bundle of the etcd server certificates (kubeadm: /etc/kubernetes/pki/etcd/ca.crt)
     * @param certFile  client certificate for mutual TLS (kubeadm: /etc/kubernetes/pki/apiserver-etcd-client.crt)
     * @param keyFile   its private key
     * @param user      etcd user, when etcd authenticates by password (with password)
     * @param password  that user's password
     * @param timeout   how long one etcd call may take before the replica counts etcd as unreachable
     * @param replicaId this replica's name in the election and in status; empty means the host name
     * @param leaseTtl  the leader's lease: a crashed leader is replaced after at most this long
     */
    public record Etcd(String endpoints, @DefaultValue("/kube-oidc-issuer/") String prefix, Path caFile,
                       Path certFile, Path keyFile, String user, String password,
                       @DefaultValue("2s") Duration timeout, String replicaId, @DefaultValue("15s") Duration leaseTtl) {
        /** The generated toString would print the password. */
        @Override
        public String toString() {
            return "Etcd[endpoints=" + endpoints + ", prefix=" + prefix + ", caFile=" + caFile + ", certFile=" + certFile
                    + ", keyFile=" + keyFile + ", user=" + user + ", password=" + Redacted.secret(password) + ", timeout="
                    + timeout + ", replicaId=" + replicaId + ", leaseTtl=" + leaseTtl + "]";
        }
    }

    /**
     * The public port.
     *
     * @param maxAge                  Cache-Control max-age of both documents (kube-apiserver uses 3600 s)
     * @param jwksContentType         application/jwk-set+json (as kube-apiserver), or application/json for
     *                                clients that reject the former
     * @param requestReadTimeout      how long a client may take to send one whole request, from connecting or
     *                                from its first byte; then the connection is closed (slow clients)
     * @param maxConnections          open connections at once; empty means 1024, or half the process's file
     *                                descriptor limit when that is lower (the rest stays for the signer, the
     *                                management port and the key store)
     * @param maxConnectionsPerClient open connections at once from one client address; empty means 256, or
     *                                max-connections when that is lower
     */
    public record Http(@DefaultValue("3600s") Duration maxAge,
                       @DefaultValue("application/jwk-set+json") String jwksContentType,
                       @DefaultValue("10s") Duration requestReadTimeout, Integer maxConnections,
                       Integer maxConnectionsPerClient) {}

    /**
     * @param period        how long a key signs
     * @param publishAhead  how long a key is published (and confirmed) before it may sign; at least http.max-age
     * @param retention     how long a retired key stays published; empty means tokens.max-lifetime + 24h
     * @param algorithm     what new keys are: RSA-2048 (default; Entra ID accepts only RS256), RSA-3072,
     *                      RSA-4096, EC-P256, EC-P384, EC-P521
     * @param maxKeys       hard cap on published keys (at most 100: Entra ID and AWS read only the first 100)
     * @param checkInterval how often the service re-reads the store and moves keys that are due
     */
    public record Rotation(@DefaultValue("30d") Duration period, @DefaultValue("24h") Duration publishAhead,
                           Duration retention, @DefaultValue("RSA-2048") String algorithm,
                           @DefaultValue("10") int maxKeys, @DefaultValue("5s") Duration checkInterval) {}

    /** @param maxLifetime the longest token lifetime; kube-apiserver's --service-account-max-token-expiration must not exceed it */
    public record Tokens(@DefaultValue("24h") Duration maxLifetime) {}

    /**
     * @param directory      where to write sa.key and sa.pub for kube-apiserver (empty: do not write them)
     * @param restartCommand run through /bin/sh -c after the files change (kube-apiserver reads them only at start)
     */
    public record KeyFiles(Path directory, String restartCommand) {}

    /**
     * The KEP-740 external signer (kube-apiserver --service-account-signing-endpoint).
     *
     * @param socket      Unix socket path; setting it enables the signer
     * @param socketMode  file mode of the socket (0600: only kube-apiserver's user, usually root)
     * @param socketGroup group owning the socket, for mode 0660
     * @param refreshHint how often kube-apiserver should call FetchKeys (also its discovery max-age)
     */
    /**
     * Publisher mode: keys are managed elsewhere; publish the public keys in this PEM file (for example
     * kube-apiserver's sa.pub from a ConfigMap), reloaded when it changes. No signing key, no rotation.
     */
    public record Publisher(Path keysFile) {}

    /**
     * Public copies of the documents. Each configured mirror is a rotation gate: a NEXT key activates only
     * once every mirror serves it to anonymous readers.
     *
     * @param interval how often to read the public copies back and repair drift
     */
    public record Mirror(@DefaultValue("60s") Duration interval, @DefaultValue Azure azure,
                         @DefaultValue Filesystem filesystem, @DefaultValue S3 s3, List<Azure> additionalAzure) {

        public Mirror {
            additionalAzure = additionalAzure == null ? List.of() : List.copyOf(additionalAzure);
        }
    }

    /**
     * The same files under a directory, for any static web server; on by default (./data/public).
     *
     * @param publicBaseUrl where a web server serves the directory; when set, the copy is verified there
     *                      anonymously, otherwise by reading the files back
     * @param issuer        which issuer's documents to publish (issuer.url or one of issuer.additional-urls); empty
     *                      means the one whose discovery URL is this copy's public URL, else issuer.url
     */
    public record Filesystem(@DefaultValue("true") boolean enabled, @DefaultValue("./data/public") Path directory,
                             String publicBaseUrl, String issuer) {}

    /**
     * Azure Blob Storage. Enabled by a connection string or an endpoint (with a SAS token, or else
     * DefaultAzureCredential: managed identity, workload identity, environment, az login).
     *
     * @param container     the container; $web is the static website, which AllowBlobPublicAccess=false does not block
     * @param prefix        blob name prefix, so several clusters can share one container ("cluster-a/")
     * @param publicBaseUrl where anonymous readers fetch the container, e.g. https://ACCOUNT.z6.web.core.windows.net/
     * @param cacheControl  Cache-Control stored on both blobs
     * @param issuer        which issuer's documents this container publishes (issuer.url or one of
     *                      issuer.additional-urls); empty means the one whose discovery URL is public-base-url +
     *                      prefix + .well-known/openid-configuration, else issuer.url
     */
    public record Azure(String connectionString, String endpoint, String sasToken,
                        @DefaultValue("$web") String container, @DefaultValue("") String prefix, String publicBaseUrl,
                        @DefaultValue("public, max-age=300") String cacheControl, String issuer) {

        /** The generated toString would print the account key and the SAS signature. */
        @Override
        public String toString() {
            return "Azure[connectionString=" + Redacted.connectionString(connectionString) + ", endpoint="
                    + Redacted.url(endpoint) + ", sasToken=" + Redacted.sasToken(sasToken) + ", container=" + container + ", prefix=" + prefix
                    + ", publicBaseUrl=" + publicBaseUrl + ", cacheControl=" + cacheControl + ", issuer=" + issuer + "]";
        }
    }

    /**
     * Amazon S3 or an S3-compatible store, enabled by a bucket. Credentials come from the AWS SDK's default chain
     * (environment, profile, web identity, instance or container role), never from a property.
     *
     * @param bucket          the bucket; setting it enables the mirror
     * @param prefix          key prefix, so several clusters can share one bucket ("cluster-a/")
     * @param region          the bucket's region (also the signing region of an S3-compatible store)
     * @param endpoint        an S3-compatible store's URL (MinIO, Ceph); unset for Amazon S3
     * @param pathStyleAccess address the bucket as ENDPOINT/BUCKET rather than BUCKET.ENDPOINT
     * @param publicBaseUrl   where anonymous readers (AWS STS) fetch the objects: https://BUCKET.s3.REGION.amazonaws.com/,
     *                        a website endpoint or a CloudFront distribution
     * @param cacheControl    Cache-Control stored on both objects
     */
    public record S3(String bucket, @DefaultValue("") String prefix, String region, String endpoint,
                     @DefaultValue("false") boolean pathStyleAccess, String publicBaseUrl,
                     @DefaultValue("public, max-age=300") String cacheControl) {}

    public record Signer(String socket, @DefaultValue("0600") String socketMode, String socketGroup,
                         @DefaultValue("60s") Duration refreshHint) {}
}
