package io.kubeoidc;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.kubeoidc.keys.VerificationKey;
import io.kubeoidc.pem.PemKeyReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Upstream Kubernetes vectors (copied from ../shared/vectors, see their README) and openssl fixtures. */
public final class Vectors {
    private Vectors() {}

    public static Path path(String relative) {
        try {
            var url = Vectors.class.getResource("/" + relative);
            if (url == null) {
                throw new IllegalStateException("missing test resource " + relative);
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] bytes(String relative) {
        try {
            return Files.readAllBytes(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, Object> json(String relative) {
        try {
            return JSONObjectUtils.parse(Files.readString(path(relative)));
        } catch (Exception e) {
            throw new IllegalStateException("cannot parse " + relative, e);
        }
    }

    /** The single key in a PEM file, read by the reader under test. */
    public static VerificationKey key(String relative) {
        var keys = PemKeyReader.readFile(path(relative)).requireKeys();
        if (keys.size() != 1) {
            throw new IllegalStateException(relative + " has " + keys.size() + " keys");
        }
        return keys.get(0).verificationKey();
    }
}
