package io.kubeoidc.service.web;

import io.kubeoidc.documents.PublishedDocuments.Document;
import io.kubeoidc.service.keys.IssuerKeys;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Function;
import org.springframework.web.HttpRequestHandler;
import org.springframework.web.context.request.ServletWebRequest;

/**
 * Serves one pre-rendered document: no JSON work per request, a strong ETag, and 304 for a
 * matching If-None-Match. Headers follow kube-apiserver (pkg/routes/openidmetadata.go).
 */
public final class DocumentHandler implements HttpRequestHandler {
    private final IssuerKeys keys;
    private final Function<IssuerKeys.Snapshot, Document> document;
    private final String contentType;
    private final String cacheControl;

    public DocumentHandler(IssuerKeys keys, Function<IssuerKeys.Snapshot, Document> document, String contentType,
                           long maxAgeSeconds) {
        this.keys = keys;
        this.document = document;
        this.contentType = contentType;
        this.cacheControl = "public, max-age=" + maxAgeSeconds;
    }

    @Override
    public void handleRequest(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Document doc = document.apply(keys.current());
        response.setHeader("Cache-Control", cacheControl);
        // Sets ETag, and answers 304 when If-None-Match matches (weak comparison, as RFC 9110 asks).
        if (new ServletWebRequest(request, response).checkNotModified(doc.etag())) {
            return;
        }
        response.setContentType(contentType);
        response.setContentLength(doc.bytes().length);
        if (!"HEAD".equals(request.getMethod())) {
            response.getOutputStream().write(doc.bytes());
        }
    }
}
