package io.kubeoidc.service.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy in front of a real server (Azurite) that injects network faults: connections reset, a
 * black hole that accepts and never answers, or slow responses. Switching to a fault also breaks the
 * connections already open, as a real network failure would break the client's keep-alive pool.
 */
final class ChaosProxy implements AutoCloseable {
    enum Mode { UP, RESET, BLACKHOLE, SLOW }

    final int port;
    private final int targetPort;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "chaos-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.UP;
    private volatile int delayMillis;

    ChaosProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.port = server.getLocalPort();
        threads.execute(this::acceptLoop);
    }

    /** Sets the fault; {@code delayMillis} is the pause before each response chunk in SLOW mode. */
    void set(Mode next, int delayMillis) {
        this.delayMillis = delayMillis;
        this.mode = next;
        if (next != Mode.UP) {
            for (Socket s : open) {
                closeQuietly(s);
            }
        }
    }

    Mode mode() {
        return mode;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                threads.execute(() -> serve(client));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        Mode now = mode;
        try {
            if (now == Mode.RESET) {
                client.setSoLinger(true, 0); // close with RST: "connection reset by peer"
                closeQuietly(client);
                return;
            }
            if (now == Mode.BLACKHOLE) {
                client.getInputStream().transferTo(OutputStream.nullOutputStream()); // until set() closes it
                return;
            }
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            open.add(upstream);
            threads.execute(() -> pump(client, upstream, false));
            pump(upstream, client, true);
        } catch (IOException e) {
            closeQuietly(client);
        }
    }

    private void pump(Socket from, Socket to, boolean response) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (response && mode == Mode.SLOW) {
                    Thread.sleep(delayMillis);
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // a fault, or the other side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        set(Mode.RESET, 0);
        threads.shutdownNow();
    }
}
