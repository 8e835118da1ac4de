package io.kubeoidc.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers tests start (the service, etcd members, Azurite), picked below the kernel's
 * ephemeral range. A port from bind(0) comes from that range, which is also where every outgoing
 * connection gets its local port: between the probe and the server's own bind (a JVM start, seconds on a
 * loaded machine), or while a killed etcd member is down before its restart on the same port, a client
 * socket can take it and the server fails with "address already in use".
 */
public final class FreePorts {
    private static final int LOWEST = 20_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    /** A port nothing listens on now, not handed out before by this JVM, and never chosen for a client socket. */
    public static int next() {
        int below = ephemeralLow();
        for (int attempt = 0; below - LOWEST >= 1000 && attempt < 1000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
            if (HANDED_OUT.add(port) && free(port)) {
                return port;
            }
        }
        try (ServerSocket s = new ServerSocket(0)) { // an unusual range: what the OS picks
            HANDED_OUT.add(s.getLocalPort());
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a server could bind {@code port} on every address now. */
    public static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int ephemeralLow() {
        try {
            return Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768; // Linux's default range starts here
        }
    }
}
