package io.kubeoidc.service.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * Fetches a public document the way a relying party (Entra ID, AWS STS) does: an anonymous GET that follows
 * redirects and gives up after a bounded time. A failure comes back as one line that says what failed
 * (DNS, refused, timeout, TLS) and for which host, never as an exception.
 */
final class RelyingPartyFetch {
    private final Duration timeout;
    private final HttpClient http;

    RelyingPartyFetch(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** What came back: an HTTP answer (any status), or {@code failure} when there was none. */
    record Fetched(String url, int status, String contentType, String body, String failure) {
        boolean answered() {
            return failure == null;
        }
    }

    Fetched get(String url) {
        URI uri;
        HttpRequest request;
        try {
            uri = new URI(url);
            request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return failed(url, "'" + url + "' is not a URL a relying party can fetch (" + e.getMessage() + ")");
        }
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Fetched(url, r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body(), null);
        } catch (IOException e) {
            return failed(url, describe(e, uri));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(url, "interrupted while fetching " + url);
        }
    }

    private static Fetched failed(String url, String why) {
        return new Fetched(url, 0, "", "", why);
    }

    /** The HTTP client reports "ConnectException: null" for several causes; the cause chain tells them apart. */
    String describe(IOException e, URI uri) {
        String host = uri.getHost();
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        String at = host + ":" + port;
        SSLException tls = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLException s) {
                tls = s; // the innermost one: outer ones repeat it with their class name in front
            }
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "DNS: the host name '" + host + "' does not resolve";
            }
        }
        if (tls != null) {
            String m = String.valueOf(tls.getMessage());
            return "TLS: the handshake with " + at + " failed (" + m + ")" + (m.contains("PKIX")
                    ? "; the certificate is not signed by a publicly trusted CA"
                    : m.contains("unrecognized SSL message") || m.contains("plaintext") ? "; it does not speak https" : "");
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "timeout: no connection " + ("https".equalsIgnoreCase(uri.getScheme()) ? "(TCP and TLS handshake) " : "")
                    + "to " + at + " within " + seconds();
        }
        if (e instanceof HttpTimeoutException) {
            return "timeout: " + at + " accepted the connection but sent no answer within " + seconds();
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "refused: nothing accepts connections on " + at + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")");
            }
        }
        return "the connection to " + at + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    private String seconds() {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }
}
