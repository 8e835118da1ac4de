package io.kubeoidc.service.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** HTTP/1.x bytes sent exactly as given, for requests a client library would refuse to send or would normalise. */
final class RawHttp {
    private RawHttp() {}

    /** @param headers names in lower case */
    record Response(String statusLine, Map<String, String> headers, byte[] body) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One response, and whether the server closed the connection after it. */
    record Exchange(Response response, boolean closed) {}

    /** Sends {@code request} (ISO-8859-1, so any byte can be written) and reads one response. */
    static Response send(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            write(socket, request);
            return read(socket.getInputStream());
        }
    }

    /**
     * As {@link #send}, then waits for the server to close the connection: up to 30 s, half the public port's
     * 60 s idle timeout, so a connection left open is told apart from one closed by that timer.
     */
    static Exchange exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            write(socket, request);
            Response response = read(socket.getInputStream());
            return new Exchange(response, closedByServer(socket, 30_000));
        }
    }

    /** A connection to 127.0.0.1 from {@code from} (any 127.0.0.0/8 address is this host), {@code bytes} sent. */
    static Socket open(String from, int port, String bytes) throws IOException {
        Socket socket = new Socket();
        try {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            write(socket, bytes);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Whether the server closed the connection (end of stream or reset) without sending anything, waiting up to
     * {@code timeoutMillis}; false if it is still open then. Fails if the server sent bytes.
     */
    static boolean closedByServer(Socket socket, int timeoutMillis) throws IOException {
        socket.setSoTimeout(timeoutMillis);
        try {
            int b = socket.getInputStream().read();
            if (b >= 0) {
                throw new IOException("the server sent data where it should have closed the connection: " + (char) b);
            }
            return true;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    static void write(Socket socket, String bytes) throws IOException {
        socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    private static Response read(InputStream in) throws IOException {
        String status = line(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        return new Response(status, headers, in.readNBytes(length));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed before the end of the response head: " + line);
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
