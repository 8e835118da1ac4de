package io.kubeoidc.service.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile requests to one running service: on the signer's socket from an independent Python gRPC client,
 * on the public port as raw bytes. Each gets its exact refusal. Afterwards the service still signs and
 * serves the same JWKS, and nothing under data/ (key store, filesystem mirror) or run/ (the socket) changed.
 */
class BadRequestIT {
    /** The signer's grpc maxInboundMessageSize. */
    private static final int MAX_MESSAGE_BYTES = 256 * 1024;

    @TempDir
    static Path work;

    static JarProcess service;
    static int port;
    static int managementPort;
    static Path socket;
    static FileSnapshot state;
    static byte[] jwks;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        port = TestData.freePort();
        managementPort = TestData.freePort();
        socket = work.resolve("run/signer.sock");
        service = JarProcess.start(work, "--server.port=" + port, "--management.server.port=" + managementPort,
                "--issuer.url=http://127.0.0.1:" + port, "--issuer.allow-insecure-http=true",
                "--issuer.signer.socket=" + socket).awaitReady(managementPort);
        state = FileSnapshot.of(work.resolve("data"), work.resolve("run"));
        jwks = get(port, "/openid/v1/jwks").body();
    }

    @AfterAll
    static void stop() {
        if (service != null) {
            service.close();
        }
    }

    private static HttpResponse<byte[]> get(int onPort, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Ready, serving the JWKS it served before, and nothing it stores or publishes changed. */
    private static void assertUnharmed() throws Exception {
        assertThat(service.alive()).isTrue();
        assertThat(get(managementPort, "/actuator/health/readiness").statusCode()).isEqualTo(200);
        assertThat(get(port, "/openid/v1/jwks").body()).isEqualTo(jwks);
        state.assertUnchanged();
    }

    @Nested
    class SignerSocket {
        /**
         * @param description the gRPC status description; {bytes} stands for the request's size
         * @param logged      the line the service logs ({bytes} as above), or null where grpc-java answers
         *                    before our code runs
         */
        record Case(String name, String code, String description, String logged) {}

        private static Case refused(String name, String reason) {
            return new Case(name, "INVALID_ARGUMENT", "Sign rejected: " + reason, "Sign rejected: " + reason + " (v1)");
        }

        /** The issuer's port is known only once the service runs. */
        private static String withPort(String text) {
            return text == null ? null : text.replace("{port}", Integer.toString(port));
        }

        private static Case malformed(String name, String api, String type, String reason) {
            String description = "request is not a valid " + api + "." + type + ": " + reason;
            return new Case(name, "INVALID_ARGUMENT", description, description + " (" + api + ")");
        }

        private static Case unimplemented(String name, String method) {
            return new Case(name, "UNIMPLEMENTED", "Method not found: " + method, null);
        }

        private static final String NOT_AN_OBJECT = "claims do not decode to a JSON object";
        private static final String FOREIGN_ISS = "the iss claim is not the issuer this signer serves: "
                + "http://127.0.0.1:{port} (issuer.url)";
        private static final String TOO_LONG = "the token lifetime (exp - iat) is over the 86400 s this signer allows"
                + " (issuer.tokens.max-lifetime, advertised as max_token_expiration_seconds)";
        private static final String TRUNCATED = "While parsing a protocol message, the input ended unexpectedly in the"
                + " middle of a field.";

        /** Keyed by the names bad_signer_requests.py prints; the claims themselves are built there. */
        static final List<Case> CASES = List.of(
                refused("sign: not base64url", "claims are not unpadded base64url (character at index 3)"),
                refused("sign: padded base64url", "claims are not unpadded base64url (character at index 31)"),
                refused("sign: standard base64 alphabet", "claims are not unpadded base64url (character at index 11)"),
                refused("sign: line break inside", "claims are not unpadded base64url (character at index 8)"),
                refused("sign: non-ASCII character", "claims are not unpadded base64url (character at index 32)"),
                refused("sign: impossible length",
                        "claims are not valid base64url: Last unit does not have enough valid bits"),
                refused("sign: a whole JWT", "claims are not unpadded base64url (character at index 19)"),
                refused("sign: not JSON", NOT_AN_OBJECT),
                refused("sign: JSON array", NOT_AN_OBJECT),
                refused("sign: JSON number", NOT_AN_OBJECT),
                refused("sign: JSON string", NOT_AN_OBJECT),
                refused("sign: truncated JSON object", NOT_AN_OBJECT),
                refused("sign: malformed JSON object", NOT_AN_OBJECT),
                refused("sign: invalid UTF-8", "claims are not valid UTF-8"),
                refused("sign: duplicate claim", NOT_AN_OBJECT),
                refused("sign: nested 20000 deep", NOT_AN_OBJECT),
                refused("sign: empty claims", "claims are empty"),
                refused("sign: claims over 64 KiB", "claims are 70000 characters, over the 65536 limit"),
                new Case("sign (v1alpha1): not JSON", "INVALID_ARGUMENT", "Sign rejected: " + NOT_AN_OBJECT,
                        "Sign rejected: " + NOT_AN_OBJECT + " (v1alpha1)"),
                // grpc-java refuses it before our code runs: one line, not its WARN with a stack trace
                new Case("sign: claims over the gRPC message limit", "RESOURCE_EXHAUSTED",
                        "gRPC message exceeds maximum size " + MAX_MESSAGE_BYTES + ": {bytes}",
                        "Request refused: gRPC message exceeds maximum size " + MAX_MESSAGE_BYTES
                                + ": {bytes} (v1.ExternalJWTSigner/Sign)"),
                unimplemented("unknown method", "v1.ExternalJWTSigner/Nope"),
                unimplemented("unknown service", "v2.ExternalJWTSigner/Sign"),
                unimplemented("unknown package", "externaljwt.v1.ExternalJWTSigner/Sign"),
                malformed("fetchkeys: garbage request body", "v1", "FetchKeysRequest", TRUNCATED),
                malformed("fetchkeys (v1alpha1): garbage request body", "v1alpha1", "FetchKeysRequest", TRUNCATED),
                malformed("metadata: garbage request body", "v1", "MetadataRequest", TRUNCATED),
                malformed("sign: claims field not UTF-8", "v1", "SignJWTRequest", "Protocol message had invalid UTF-8."),
                // protobuf reads a field of the wrong wire type as an unknown field: the claims are simply empty
                refused("sign: claims field with the wrong wire type", "claims are empty"),
                // Well-formed claims kube-apiserver never sends: its own issuer and a lifetime within Metadata's maximum.
                refused("sign: foreign iss", FOREIGN_ISS),
                refused("sign: issuer with a trailing slash", FOREIGN_ISS),
                refused("sign: missing iss", "claims have no iss; kube-apiserver always sends its issuer"),
                refused("sign: missing exp", "claims have no exp; kube-apiserver always sends exp and iat"),
                refused("sign: missing iat", "claims have no iat; kube-apiserver always sends exp and iat"),
                refused("sign: exp as a string", "the exp claim is not an integer NumericDate"),
                refused("sign: exp before iat", "the exp claim is not after the iat claim"),
                refused("sign: ten-year lifetime", TOO_LONG),
                refused("sign: one second over the maximum lifetime", TOO_LONG));

        /** What the Python client saw for one case. */
        record Result(String code, String details, String sent, long bytes) {}

        @TestFactory
        Stream<DynamicTest> eachBadRequestIsRefusedAndNeverLogged() throws Exception {
            Map<String, Result> results = runPythonClient();
            String log = service.output();
            List<DynamicTest> tests = new ArrayList<>();
            for (Case c : CASES) {
                tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                    Result r = results.get(c.name());
                    assertThat(r).as("the Python client's report of this case").isNotNull();
                    assertThat(r.code() + ": " + r.details())
                            .isEqualTo(c.code() + ": " + withPort(c.description()).replace("{bytes}", Long.toString(r.bytes())));
                    if (c.logged() != null) {
                        assertThat(log).contains(withPort(c.logged()).replace("{bytes}", Long.toString(r.bytes())));
                    }
                    if (!r.sent().isEmpty()) {
                        assertThat(log).as("the service log quotes the request").doesNotContain(r.sent());
                    }
                }));
            }
            tests.add(DynamicTest.dynamicTest("afterwards: a valid Sign verifies, nothing stored changed", () -> {
                assertThat(results.keySet()).as("cases the client ran")
                        .containsExactlyInAnyOrderElementsOf(CASES.stream().map(Case::name).toList());
                assertAValidSignVerifies();
                assertUnharmed();
                assertThat(service.output()).doesNotContain("Exception processing message")
                        .doesNotContain("StatusRuntimeException");
            }));
            return tests.stream();
        }

        private Map<String, Result> runPythonClient() throws Exception {
            Path script = Path.of("src/test/python/bad_signer_requests.py").toAbsolutePath();
            Process py = new ProcessBuilder("/usr/bin/python3", script.toString(), "--socket", socket.toString(),
                    "--proto-dir", Path.of("src/main/proto").toAbsolutePath().toString(),
                    "--issuer", "http://127.0.0.1:" + port).redirectErrorStream(true).start();
            String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(py.waitFor()).as(out).isZero();
            Map<String, Result> results = new LinkedHashMap<>();
            for (String line : out.lines().filter(l -> l.startsWith("{")).toList()) {
                Map<String, Object> o = JSONObjectUtils.parse(line);
                results.put((String) o.get("case"), new Result((String) o.get("code"), (String) o.get("details"),
                        (String) o.get("sent"), ((Number) o.get("bytes")).longValue()));
            }
            return results;
        }

        private void assertAValidSignVerifies() throws Exception {
            String claims = TestData.kubeClaims("http://127.0.0.1:" + port, "system:serviceaccount:default:after-the-bad-requests");
            SignerClient.assertSignVerifies(socket, claims, UnaryOperator.identity());
        }
    }

    @Nested
    class PublicPort {
        /** @param allow the Allow header a 405 must carry, or null for none */
        record Case(String name, String request, String statusLine, String body, String allow) {}

        private static final String NOT_FOUND = "404 page not found\n";

        private static String request(String method, String target, String... headers) {
            return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + String.join("", headers)
                    + "Connection: close\r\n\r\n";
        }

        private static Case notFound(String name, String target) {
            return new Case(name, request("GET", target), "HTTP/1.1 404 Not Found", NOT_FOUND, null);
        }

        private static Case notAllowed(String method, String path) {
            return new Case(method + " " + path, request(method, path), "HTTP/1.1 405 Method Not Allowed",
                    "405 method not allowed\n", "GET, HEAD");
        }

        private static Case badRequest(String name, String request) {
            return new Case(name, request, "HTTP/1.1 400 Bad Request", "400 Bad Request\n", null);
        }

        static final List<Case> CASES = List.of(
                // Paths that resolve, decode or normalise to a document path are not that path.
                notFound("dot-dot segment", "/openid/v1/../v1/jwks"),
                notFound("dot segment", "/openid/v1/./jwks"),
                notFound("double slash", "//openid/v1/jwks"),
                notFound("percent-encoded letter", "/openid/v1/%6Awks"),
                notFound("percent-encoded dot-dot", "/%2e%2e/openid/v1/jwks"),
                notFound("double-encoded dot-dot", "/%252e%252e/openid/v1/jwks"),
                notFound("encoded slashes to /etc/passwd", "/..%2f..%2fetc%2fpasswd"),
                notFound("dot-dot beyond the document", "/openid/v1/jwks/../../etc/passwd"),
                notFound("backslashes", "/openid\\v1\\jwks"),
                notFound("encoded NUL", "/openid/v1/jwks%00"),
                notFound("raw NUL", "/openid/v1/jwks\0"),
                notFound("path parameter", "/openid/v1/jwks;x=1"),
                notFound("fragment sent", "/openid/v1/jwks#fragment"),
                notFound("dot-dot inside .well-known", "/.well-known/../.well-known/openid-configuration"),
                notFound("relative target", "../../etc/passwd"),
                notFound("absolute-form target to another path", "http://evil.example/etc/passwd"),
                notFound("absolute-form target with a dot-dot", "http://evil.example/openid/v1/../v1/jwks"),
                notFound("absolute-form target, no path", "http://evil.example"),
                notFound("scheme that is not http", "ftp://evil.example/openid/v1/jwks"),
                notFound("asterisk target", "*"),
                notFound("non-ASCII bytes", "/openid/v1/jwks\u00e9\u00ff"),
                // Every method but GET and HEAD, on both documents.
                notAllowed("POST", "/openid/v1/jwks"),
                notAllowed("PUT", "/.well-known/openid-configuration"),
                notAllowed("DELETE", "/openid/v1/jwks"),
                notAllowed("PATCH", "/.well-known/openid-configuration"),
                notAllowed("OPTIONS", "/openid/v1/jwks"),
                notAllowed("TRACE", "/openid/v1/jwks"),
                notAllowed("CONNECT", "/openid/v1/jwks"),
                notAllowed("PROPFIND", "/.well-known/openid-configuration"),
                notAllowed("BREW", "/openid/v1/jwks"),
                new Case("POST with a body", "POST /openid/v1/jwks HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        + "Connection: close\r\n\r\nhello", "HTTP/1.1 405 Method Not Allowed", "405 method not allowed\n",
                        "GET, HEAD"),
                // Oversized: the limits are 4 KiB for the request line and 8 KiB for the headers.
                new Case("10 KiB path", request("GET", "/" + "a".repeat(10 * 1024)), "HTTP/1.1 414 Request-URI Too Long",
                        "414 Request-URI Too Long\n", null),
                new Case("9 KB header", request("GET", "/openid/v1/jwks", "X-Big: " + "b".repeat(9000) + "\r\n"),
                        "HTTP/1.1 431 Request Header Fields Too Large", "431 Request Header Fields Too Large\n", null),
                new Case("100 headers of 100 bytes", request("GET", "/openid/v1/jwks",
                        Stream.iterate(0, i -> i + 1).limit(100).map(i -> "X-H" + i + ": " + "v".repeat(100) + "\r\n")
                                .toArray(String[]::new)),
                        "HTTP/1.1 431 Request Header Fields Too Large", "431 Request Header Fields Too Large\n", null),
                // Malformed.
                badRequest("not HTTP at all", "NOT AN HTTP REQUEST\r\n\r\n"),
                badRequest("request line without a version", "GET /openid/v1/jwks\r\n\r\n"),
                badRequest("control character in the method", "G\u0001T /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n\r\n"),
                badRequest("header without a colon", "GET /openid/v1/jwks HTTP/1.1\r\nHost x\r\n\r\n"),
                badRequest("first header folded", "GET /openid/v1/jwks HTTP/1.1\r\n Host: x\r\n\r\n"),
                badRequest("NUL in a header value", request("GET", "/openid/v1/jwks", "X-A: a\0b\r\n")),
                badRequest("two Content-Length values", "GET /openid/v1/jwks HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        + "Content-Length: 6\r\n\r\nhello"),
                badRequest("Content-Length not a number", request("GET", "/openid/v1/jwks", "Content-Length: abc\r\n")),
                badRequest("HTTP/1.1 without Host", "GET /openid/v1/jwks HTTP/1.1\r\nConnection: close\r\n\r\n"),
                badRequest("absolute-form target without a host", request("GET", "http:///openid/v1/jwks")),
                new Case("HTTP/9.9", "GET /openid/v1/jwks HTTP/9.9\r\nHost: x\r\n\r\n",
                        "HTTP/1.1 505 HTTP Version Not Supported", "505 HTTP Version Not Supported\n", null),
                new Case("HTTP/2.0 request line", "GET /openid/v1/jwks HTTP/2.0\r\nHost: x\r\n\r\n",
                        "HTTP/1.1 505 HTTP Version Not Supported", "505 HTTP Version Not Supported\n", null),
                badRequest("Transfer-Encoding with Content-Length", "GET /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"),
                // RFC 9112 3.2: a request with two Host lines gets 400 (proxies may pick different ones).
                badRequest("two Host headers", "GET /openid/v1/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Host: evil.example\r\n\r\n"),
                badRequest("two Host headers, apart", "GET /openid/v1/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Accept: */*\r\nhost: evil.example\r\n\r\n"),
                badRequest("two Host headers, HTTP/1.0", "GET /openid/v1/jwks HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
                // A request is answered once read whole: a broken body gets 400 and the connection closed, not the
                // answer to its head and then a connection the codec no longer reads.
                badRequest("malformed chunk size", "POST /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n"),
                badRequest("malformed chunk size on a GET", "GET /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
                badRequest("malformed second chunk", "POST /nope HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n"),
                badRequest("chunk size over 2^31", "GET /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\nffffffffff\r\nhello\r\n0\r\n\r\n"),
                new Case("POST with a well-formed chunked body", "POST /openid/v1/jwks HTTP/1.1\r\nHost: x\r\n"
                        + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                        "HTTP/1.1 405 Method Not Allowed", "405 method not allowed\n", "GET, HEAD"));

        /** RFC 9112: a server must accept absolute-form targets, and serves any HTTP/1.x minor version as 1.1. */
        @TestFactory
        Stream<DynamicTest> absoluteFormAndLaterMinorVersionsGetTheDocument() throws Exception {
            RawHttp.Response expected = RawHttp.send(port, request("GET", "/openid/v1/jwks"));
            assertThat(expected.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            Map<String, String> requests = new LinkedHashMap<>();
            requests.put("absolute-form, any authority", request("GET", "http://evil.example/openid/v1/jwks"));
            requests.put("absolute-form, https and a port", request("GET", "HTTPS://oidc.example.com:443/openid/v1/jwks"));
            requests.put("absolute-form with a query", request("GET", "http://x/openid/v1/jwks?a=b"));
            requests.put("HTTP/1.2", "GET /openid/v1/jwks HTTP/1.2\r\nHost: x\r\nConnection: close\r\n\r\n");
            return requests.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
                RawHttp.Response r = RawHttp.send(port, e.getValue());
                assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
                assertThat(r.body()).isEqualTo(expected.body());
                assertThat(r.headers().get("etag")).isEqualTo(expected.headers().get("etag"));
            }));
        }

        /** Each gets its status, nosniff, and the connection closed (asked for, or because the request was refused). */
        @TestFactory
        Stream<DynamicTest> eachBadRequestGetsItsStatusAndNothingElse() {
            List<DynamicTest> tests = new ArrayList<>();
            for (Case c : CASES) {
                tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                    RawHttp.Exchange e = RawHttp.exchange(port, c.request());
                    RawHttp.Response r = e.response();
                    assertThat(r.statusLine()).isEqualTo(c.statusLine());
                    assertThat(r.bodyText()).isEqualTo(c.body());
                    assertThat(r.headers()).containsEntry("content-type", "text/plain; charset=utf-8")
                            .containsEntry("x-content-type-options", "nosniff");
                    assertThat(r.headers().get("allow")).isEqualTo(c.allow());
                    assertThat(e.closed()).as("the connection was closed after the answer").isTrue();
                    state.assertUnchanged();
                }));
            }
            tests.add(DynamicTest.dynamicTest("afterwards: the same JWKS, nothing stored changed", BadRequestIT::assertUnharmed));
            return tests.stream();
        }

        private static final String TIMEOUTS = "issuer_http_request_read_timeouts_total";

        /**
         * Slowloris: a byte every 2 s resets any idle timer, but a request must arrive whole within
         * issuer.http.request-read-timeout (10 s by default), so the connection is closed long before this
         * head (about 110 s at that pace) is complete, without an answer.
         */
        @Test
        void aClientSendingAByteNowAndThenIsCutOffAtTheRequestDeadline() throws Exception {
            double before = Prometheus.value(managementPort, TIMEOUTS);
            assertThat(before).as("%s is exposed from the start", TIMEOUTS).isNotNaN();
            String head = "GET /openid/v1/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "s".repeat(20) + "\r\n\r\n";
            int sent = 0;
            boolean closed = false;
            try (Socket socket = RawHttp.open("127.0.0.1", port, "")) {
                while (sent < head.length() && !closed) {
                    RawHttp.write(socket, head.substring(sent, sent + 1));
                    sent++;
                    closed = RawHttp.closedByServer(socket, 2_000);
                }
            }
            assertThat(closed).as("closed by the service before the head was complete").isTrue();
            assertThat(sent).isLessThan(head.length());
            Prometheus.await(managementPort, TIMEOUTS, v -> v >= before + 1);
            assertUnharmed();
        }

        /** A connection that sends nothing is closed at the same deadline (counted, unlike the 60 s idle timer). */
        @Test
        void aConnectionThatSendsNothingIsClosedAtTheRequestDeadline() throws Exception {
            double before = Prometheus.value(managementPort, TIMEOUTS);
            try (Socket socket = RawHttp.open("127.0.0.1", port, "")) {
                assertThat(RawHttp.closedByServer(socket, 90_000)).isTrue();
            }
            Prometheus.await(managementPort, TIMEOUTS, v -> v >= before + 1);
        }
    }

    @Nested
    class ManagementPort {
        /** Health shows the issuer, kids and error texts: by default only this host reaches it. */
        @Test
        void listensOnLoopbackOnlyByDefault() throws Exception {
            assertThat(ListeningSockets.addresses(managementPort)).isNotEmpty().allMatch(InetAddress::isLoopbackAddress);
            // The public port listens on every interface by default: the check does see such a bind.
            assertThat(ListeningSockets.addresses(port)).anyMatch(InetAddress::isAnyLocalAddress);
        }

        /** Spring MVC logged two WARN lines for every 404; a caller's wrong path is not the service's problem. */
        @Test
        void aNotFoundIsNotLoggedAsAWarning() throws Exception {
            String path = "/no-such-endpoint-" + System.nanoTime();
            assertThat(get(managementPort, path).statusCode()).isEqualTo(404);
            assertThat(get(managementPort, "/actuator" + path).statusCode()).isEqualTo(404);
            // Logged (if at all) before the response was written, so it would be in the log by now.
            assertThat(service.output().lines().filter(l -> l.contains(path) || l.contains("PageNotFound")).toList())
                    .isEmpty();
        }
    }
}
