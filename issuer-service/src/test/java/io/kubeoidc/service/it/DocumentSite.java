package io.kubeoidc.service.it;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;

/**
 * A plain static web server on 127.0.0.1 (the JDK's own HttpServer, not our code) that serves whatever a test
 * publishes at a path, byte for byte, with the Content-Type given: broken publications for doctor.
 */
final class DocumentSite implements AutoCloseable {
    record Document(String contentType, String body) {}

    private final HttpServer server;
    private final Map<String, Document> documents = new ConcurrentHashMap<>();
    private final ServerSocket plain;

    DocumentSite() throws IOException {
        this(null);
    }

    /** Over https with {@code tls} (a server context), or plain http when it is null. */
    DocumentSite(SSLContext tls) throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(loopback, 0);
        } else {
            HttpsServer https = HttpsServer.create(loopback, 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.createContext("/", exchange -> {
            try (exchange) {
                Document d = documents.get(exchange.getRequestURI().getPath());
                byte[] body = (d == null ? "not found" : d.body()).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", d == null ? "text/plain" : d.contentType());
                exchange.sendResponseHeaders(d == null ? 404 : 200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        plain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::answerEveryConnectionWith400, "plain-http-port");
        t.setDaemon(true);
        t.start();
    }

    /**
     * A port that answers every connection at once with a plain-HTTP 400 and closes it, as nginx does when a TLS
     * ClientHello arrives on its http port. (The JDK's HttpServer instead waits for a line end that never comes.)
     */
    int plainHttpPort() {
        return plain.getLocalPort();
    }

    private void answerEveryConnectionWith400() {
        while (!plain.isClosed()) {
            try (Socket s = plain.accept()) {
                s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException closedOrReset) {
                // closed: the loop ends; reset by the client: the next one
            }
        }
    }

    /** http://127.0.0.1:PORT (https when it serves TLS), without a trailing slash. */
    String url() {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + server.getAddress().getPort();
    }

    void publish(String path, String contentType, String body) {
        documents.put(path, new Document(contentType, body));
    }

    @Override
    public void close() {
        server.stop(0);
        try {
            plain.close();
        } catch (IOException e) {
            // nothing to release
        }
    }
}
