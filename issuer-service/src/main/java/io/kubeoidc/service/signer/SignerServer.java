package io.kubeoidc.service.signer;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.kubeoidc.files.TrustedDirectory;
import io.kubeoidc.service.config.InvalidConfigurationException;
import io.kubeoidc.service.config.SignerSettings;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The gRPC server on the Unix socket, serving v1 and v1alpha1 together. The socket is bound inside a
 * private (0700) directory, given its mode and group there, and only then renamed into place, so it is
 * never reachable with looser permissions. A stale socket file is removed; a live one (another signer
 * listening) stops the start. Uses Netty's NIO domain sockets: no native code, same on JDK 17 and 25.
 *
 * <p>The socket's directory is created 0700 (0750 and given issuer.signer.socket-group when that is set) and,
 * created or not, must pass {@link TrustedDirectory}: whoever can write it could rename the socket away and
 * bind their own, and kube-apiserver would take their keys and tokens. Readiness then checks that the socket at
 * the path is still the one bound here (same device and inode).
 */
public class SignerServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(SignerServer.class);

    private final SignerSettings settings;
    private final SignerCore core;
    private volatile Server server;
    /** Device and inode of the socket this server bound, as it was moved into place. */
    private volatile Object boundFile;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private java.util.concurrent.ExecutorService signing;

    public SignerServer(SignerSettings settings, SignerCore core) {
        this.settings = settings;
        this.core = core;
    }

    public Path socket() {
        return settings.socket();
    }

    public boolean running() {
        return server != null && !server.isShutdown();
    }

    /**
     * Why kube-apiserver would not reach this signer at the socket path right now, or null when it would (the
     * readiness probe): the server stopped, the file at the path is not the socket bound here (another process may
     * be answering in its place), or nothing accepts connections.
     */
    public String problem() {
        if (!running()) {
            return "the signer is not running";
        }
        Path socket = settings.socket();
        try {
            Object now = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (!now.equals(boundFile)) {
                return "the file at " + socket + " is not the socket this service bound (" + boundFile + ", now " + now
                        + "): another process may be answering kube-apiserver in its place; find out who replaced it,"
                        + " then restart the service";
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return "the socket " + socket + " was removed; restart the service to bind it again";
        } catch (IOException e) {
            return "cannot check the socket " + socket + ": " + e.getMessage();
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return null;
        } catch (IOException e) {
            return "the socket " + socket + " does not accept connections: " + e.getMessage();
        }
    }

    @Override
    public void start() {
        Path socket = settings.socket();
        Path privateDir = null;
        try {
            GroupPrincipal group = settings.group() == null ? null : socket.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(settings.group());
            createParent(socket, group);
            removeStale(socket);
            privateDir = createPrivateDir(socket);
            Path bound = privateDir.resolve("s");
            boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
            // Signing is CPU-bound: one thread per core does it with the fewest context switches. (Running it on
            // the event loop instead serialises it: kube-apiserver uses one connection, so one loop.)
            int cores = Runtime.getRuntime().availableProcessors();
            signing = java.util.concurrent.Executors.newFixedThreadPool(cores, r -> {
                Thread t = new Thread(r, "signer-" + r.hashCode());
                t.setDaemon(true);
                return t;
            });
            server = NettyServerBuilder.forAddress(UnixDomainSocketAddress.of(bound))
                    .channelType(NioServerDomainSocketChannel.class)
                    .bossEventLoopGroup(boss).workerEventLoopGroup(workers).executor(signing)
                    .maxInboundMessageSize(256 * 1024).addStreamTracerFactory(new RefusedBeforeDispatch())
                    .addService(new V1SignerService(core, "v1").definition())
                    .addService(new V1SignerService(core, "v1alpha1").definition())
                    .build().start();
            Files.setPosixFilePermissions(bound, settings.mode());
            if (group != null) {
                Files.getFileAttributeView(bound, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
            }
            Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE);
            boundFile = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            Files.delete(privateDir);
            log.info("External signer (v1 and v1alpha1 ExternalJWTSigner) listening on {} (mode {}{})", socket,
                    PosixFilePermissions.toString(settings.mode()),
                    settings.group() == null ? "" : ", group " + settings.group());
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
            stop();
            discard(privateDir);
            throw new InvalidConfigurationException("issuer.signer.socket-group '" + settings.group()
                    + "' does not exist", "Create the group or fix the name.", e);
        } catch (IOException e) {
            stop();
            discard(privateDir);
            throw new InvalidConfigurationException("cannot listen on issuer.signer.socket " + socket + ": "
                    + e.getMessage(), "Check that the directory is writable by this user.", e);
        }
    }

    /** Creates the socket's directory 0700 (0750 for the group) if missing; refuses one others could change. */
    private static void createParent(Path socket, GroupPrincipal group) throws IOException {
        Path dir = socket.getParent();
        Set<PosixFilePermission> mode = PosixFilePermissions.fromString(group == null ? "rwx------" : "rwxr-x---");
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(mode));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new InvalidConfigurationException("cannot create the directory of issuer.signer.socket " + socket
                        + ": " + e.getFile() + " exists and is not a directory", "Choose a socket path in a directory.", e);
            }
            if (group != null) { // kube-apiserver, in the group, must be able to enter it
                PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS);
                view.setGroup(group);
                view.setPermissions(mode);
            }
        }
        try {
            TrustedDirectory.check(dir, "the directory of issuer.signer.socket", group == null ? "700" : "750");
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The 0700 directory the socket is bound in, with the short name {@link SignerSettings#bindPath} allowed for. */
    private static Path createPrivateDir(Path socket) throws IOException {
        var random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; ; attempt++) {
            Path dir = SignerSettings.bindPath(socket, String.format("%06x", random.nextInt(1 << 24))).getParent();
            try {
                return Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                if (attempt == 20) {
                    throw taken;
                }
            }
        }
    }

    /** A failed start leaves no private directory behind. */
    private static void discard(Path privateDir) {
        if (privateDir == null) {
            return;
        }
        try {
            Files.deleteIfExists(privateDir.resolve("s"));
            Files.deleteIfExists(privateDir);
        } catch (IOException e) {
            log.warn("Cannot remove {}: {}", privateDir, e.getMessage());
        }
    }

    /** A socket file no one answers on is left over from a crash; one that answers belongs to a live signer. */
    private static void removeStale(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
            throw new InvalidConfigurationException("issuer.signer.socket " + socket + " exists and is not a socket",
                    "Remove it or choose another path; the signer never overwrites regular files.", null);
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            throw new InvalidConfigurationException("another process is listening on issuer.signer.socket " + socket,
                    "Stop the other signer first, or choose another socket path.", null);
        } catch (IOException refused) {
            Files.delete(socket);
            log.info("Removed stale signer socket {}", socket);
        }
    }

    @Override
    public void stop() {
        Server s = server;
        if (s != null) {
            s.shutdown();
            try {
                if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
                    s.shutdownNow();
                }
            } catch (InterruptedException e) {
                s.shutdownNow();
                Thread.currentThread().interrupt();
            }
            try {
                // Only our own socket: one bound in its place by another process is evidence, not ours to remove.
                Path socket = settings.socket();
                if (boundFile != null && Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && boundFile.equals(
                        Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey())) {
                    Files.delete(socket);
                }
            } catch (IOException e) {
                log.warn("Cannot remove signer socket {}: {}", settings.socket(), e.getMessage());
            }
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        if (signing != null) {
            signing.shutdownNow();
        }
        server = null;
    }

    @Override
    public boolean isRunning() {
        return running();
    }

    /** Start before the web server, so readiness can only turn true with the socket up. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 2048;
    }
}
