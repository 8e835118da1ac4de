package io.kubeoidc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;

/** openssl as an independent reader of the files we write. */
public final class Openssl {
    private Openssl() {}

    /** kid computed by openssl: SHA-256 over the DER SPKI openssl derives from the file. */
    public static String kidOf(Path pem, boolean isPrivate) throws Exception {
        List<String> cmd = isPrivate
                ? List.of("openssl", "pkey", "-in", pem.toString(), "-pubout", "-outform", "DER")
                : List.of("openssl", "pkey", "-pubin", "-in", pem.toString(), "-pubout", "-outform", "DER");
        byte[] der = run(cmd);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(der));
    }

    public static byte[] run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue());
        }
        return out.toByteArray();
    }
}
