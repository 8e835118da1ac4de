package io.kubeoidc.service.web;

import io.kubeoidc.documents.PublishedDocuments.Document;
import io.kubeoidc.service.keys.IssuerKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Function;

/**
 * The whole public HTTP surface: GET and HEAD on the exact document paths get the pre-rendered bytes
 * (200, or 304 for a matching If-None-Match); any other method there gets 405 with Allow; every other
 * path 404; a malformed request 400, an HTTP version other than 1.x 505. Headers follow kube-apiserver
 * (pkg/routes/openidmetadata.go), plus X-Content-Type-Options: nosniff. Nothing is parsed, rendered or
 * allocated per request beyond the response headers.
 *
 * <p>A request is answered once it has been read whole: a body (never wanted here) is read and dropped, so
 * a malformed one gets 400 rather than an answer to the head followed by a connection in a broken state.
 */
@ChannelHandler.Sharable
final class DocumentRequestHandler extends SimpleChannelInboundHandler<HttpObject> {
    private static final byte[] NOT_FOUND = "404 page not found\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOT_ALLOWED = "405 method not allowed\n".getBytes(StandardCharsets.US_ASCII);
    private static final AsciiString X_CONTENT_TYPE_OPTIONS = AsciiString.cached("x-content-type-options");
    private static final AsciiString NOSNIFF = AsciiString.cached("nosniff");
    /** The request whose head was read and whose body (if any) is still arriving. */
    private static final AttributeKey<HttpRequest> READING = AttributeKey.valueOf(DocumentRequestHandler.class, "reading");

    private final IssuerKeys keys;
    private final Map<String, Route> routes;
    /** Paths several issuers' discovery documents share: the request's host (lower case, no port) decides. */
    private final Map<String, Map<String, Route>> byHost;
    private final String cacheControl;
    private final Map<String, StatusCounters> counters;

    /** One document path: which document and its content type. */
    record Route(String name, Function<IssuerKeys.Snapshot, Document> document, String contentType) {}

    DocumentRequestHandler(IssuerKeys keys, Map<String, Route> routes, Map<String, Map<String, Route>> byHost,
                           long maxAgeSeconds, MeterRegistry registry) {
        this.keys = keys;
        this.routes = Map.copyOf(routes);
        this.byHost = Map.copyOf(byHost);
        this.cacheControl = "public, max-age=" + maxAgeSeconds;
        Map<String, StatusCounters> byDocument = new java.util.HashMap<>();
        // Each document's usual answer is counted from the start, at zero: a dashboard shows the series before traffic.
        routes.values().forEach(r -> byDocument.computeIfAbsent(r.name(), n -> new StatusCounters(n, 200, registry)));
        byHost.values().forEach(m -> m.values().forEach(r -> byDocument.computeIfAbsent(r.name(),
                n -> new StatusCounters(n, 200, registry))));
        byDocument.put(NO_DOCUMENT, new StatusCounters(NO_DOCUMENT, 404, registry));
        this.counters = Map.copyOf(byDocument);
    }

    private static final String NO_DOCUMENT = "none";

    /** issuer.http.requests by status for one document, registered once per status: no allocation per request. */
    private static final class StatusCounters {
        private final String document;
        private final MeterRegistry registry;
        private final java.util.concurrent.atomic.AtomicReferenceArray<Counter> byStatus =
                new java.util.concurrent.atomic.AtomicReferenceArray<>(600);

        StatusCounters(String document, int usual, MeterRegistry registry) {
            this.document = document;
            this.registry = registry;
            counter(usual);
        }

        void increment(HttpResponseStatus status) {
            counter(status.code()).increment();
        }

        private Counter counter(int code) {
            Counter c = byStatus.get(code);
            if (c == null) {
                // Micrometer returns the same counter for the same name and tags, so a race registers it once.
                c = Counter.builder("issuer.http.requests").tag("document", document).tag("status", Integer.toString(code))
                        .description("Requests on the public port, by document and status").register(registry);
                byStatus.set(code, c);
            }
            return c;
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
        // The codec sends the head, then the body as HttpContent ending in LastHttpContent (empty without a body).
        if (msg instanceof HttpRequest request) {
            HttpResponseStatus refusal = refusal(request);
            if (refusal != null) {
                reject(ctx, refusal);
                return;
            }
            ctx.channel().attr(READING).set(request);
        }
        if (msg instanceof HttpContent content) {
            if (!content.decoderResult().isSuccess()) { // a malformed chunk: the codec reads nothing more
                ctx.channel().attr(READING).set(null);
                reject(ctx, status(content.decoderResult().cause()));
            } else if (content instanceof LastHttpContent) {
                HttpRequest request = ctx.channel().attr(READING).getAndSet(null);
                if (request != null) {
                    respond(ctx, request);
                }
            }
        }
    }

    /** Why a request head is refused before routing, or null. */
    private static HttpResponseStatus refusal(HttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            return status(request.decoderResult().cause());
        }
        HttpVersion version = request.protocolVersion();
        // RFC 9112 2.3: any HTTP/1.x is served as 1.1; another major version (or protocol) is not HTTP/1 at all.
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0
                && (version.majorVersion() != 1 || !"HTTP".equals(version.protocolName()))) {
            return HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED;
        }
        // RFC 9112 3.2: an HTTP/1.1 request must name its host, and no request may name two.
        HttpHeaders headers = request.headers();
        if (headers.get(HttpHeaderNames.HOST) == null ? version != HttpVersion.HTTP_1_0
                : headers.size() > 1 && secondHost(headers)) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        return null; // the target is checked once, when the request is answered
    }

    private static boolean secondHost(HttpHeaders headers) {
        Iterator<? extends CharSequence> hosts = headers.valueCharSequenceIterator(HttpHeaderNames.HOST);
        hosts.next();
        return hosts.hasNext();
    }

    private static HttpResponseStatus status(Throwable decoderFailure) {
        return decoderFailure instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                : decoderFailure instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                : decoderFailure instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                : HttpResponseStatus.BAD_REQUEST;
    }

    private void respond(ChannelHandlerContext ctx, HttpRequest request) {
        String path = path(request.uri());
        if (path == null) {
            reject(ctx, HttpResponseStatus.BAD_REQUEST);
            return;
        }
        Route route = route(path, request);
        FullHttpResponse response;
        if (route == null) {
            response = text(HttpResponseStatus.NOT_FOUND, NOT_FOUND);
            count(NO_DOCUMENT, response.status());
        } else if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, NOT_ALLOWED);
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            count(route.name(), response.status());
        } else {
            response = document(request, route);
            count(route.name(), response.status());
        }
        HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
        var write = ctx.writeAndFlush(response);
        if (!HttpUtil.isKeepAlive(request)) {
            write.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private Route route(String path, HttpRequest request) {
        Map<String, Route> hosts = byHost.isEmpty() ? null : byHost.get(path);
        if (hosts != null) {
            Route r = hosts.get(host(request.headers().get(HttpHeaderNames.HOST)));
            if (r != null) {
                return r;
            }
        }
        return routes.get(path);
    }

    /** The host a Host header names, lower case and without the port ("" for none): proxies may change the port. */
    static String host(String header) {
        if (header == null) {
            return "";
        }
        String h = header.strip();
        int end = h.startsWith("[") ? h.indexOf(']') + 1 : h.indexOf(':');
        return (end > 0 ? h.substring(0, end) : h).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The path of a request target, without its query: origin-form as sent, absolute-form
     * ({@code http://host/path}, which RFC 9112 3.2.2 says a server must accept) by its path, since this
     * port serves one site whatever the authority. Null for an absolute-form target without a host.
     * Anything else (relative, asterisk-form) is returned as is and matches no document.
     */
    static String path(String target) {
        int start = 0;
        if (!target.startsWith("/")) {
            int scheme = target.regionMatches(true, 0, "http://", 0, 7) ? 7
                    : target.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
            if (scheme < 0) {
                return target;
            }
            int end = scheme;
            while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') {
                end++;
            }
            if (end == scheme) {
                return null;
            }
            if (end == target.length() || target.charAt(end) == '?') {
                return "/";
            }
            start = end;
        }
        int query = target.indexOf('?', start);
        return start == 0 && query < 0 ? target : target.substring(start, query < 0 ? target.length() : query);
    }

    /** A request this port will not route: its status as a short text body, and the connection closed. */
    private void reject(ChannelHandlerContext ctx, HttpResponseStatus status) {
        count(NO_DOCUMENT, status);
        FullHttpResponse r = text(status, (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.US_ASCII));
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    private FullHttpResponse document(HttpRequest request, Route route) {
        Document doc = route.document().apply(keys.current());
        boolean notModified = matches(request.headers().get(HttpHeaderNames.IF_NONE_MATCH), doc.etag());
        boolean body = !notModified && HttpMethod.GET.equals(request.method());
        ByteBuf content = body ? Unpooled.wrappedBuffer(doc.bytes()) : Unpooled.EMPTY_BUFFER;
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK, content);
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.CACHE_CONTROL, cacheControl);
        h.set(HttpHeaderNames.ETAG, doc.etag());
        h.set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        if (!notModified) {
            h.set(HttpHeaderNames.CONTENT_TYPE, route.contentType());
            h.setInt(HttpHeaderNames.CONTENT_LENGTH, doc.bytes().length); // also for HEAD: what GET would send
        }
        return r;
    }

    /** RFC 9110 13.1.2: "*" or any listed tag equal to ours under weak comparison. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.strip();
            if (c.equals("*") || (c.startsWith("W/") ? c.substring(2) : c).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static FullHttpResponse text(HttpResponseStatus status, byte[] body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    private void count(String document, HttpResponseStatus status) {
        counters.get(document).increment(status);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close(); // an idle keep-alive connection holds a file descriptor for nothing
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    /** A client that does not read its answers is not read from either, so they cannot pile up in memory. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // connection resets and the like: nothing to answer
    }
}
