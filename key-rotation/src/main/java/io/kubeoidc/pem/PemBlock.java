package io.kubeoidc.pem;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One "-----BEGIN X-----" block. Decoding a file yields every block, including broken ones, so
 * one bad block never hides the keys after it; {@code der} is null when the body is not base64.
 */
public record PemBlock(int index, String type, Map<String, String> headers, byte[] der, String problem) {

    private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([^-\\r\\n]*)-----");

    public boolean encryptedHeader() {
        String procType = headers.get("Proc-Type");
        return procType != null && procType.contains("ENCRYPTED");
    }

    /** All blocks in file order (1-based index). Text outside blocks is ignored, as Go's pem.Decode does. */
    public static List<PemBlock> decodeAll(String text) {
        List<PemBlock> blocks = new ArrayList<>();
        Matcher begin = BEGIN.matcher(text);
        int from = 0;
        while (begin.find(from)) {
            int index = blocks.size() + 1;
            String type = begin.group(1);
            String endMarker = "-----END " + type + "-----";
            int end = text.indexOf(endMarker, begin.end());
            if (end < 0) {
                blocks.add(new PemBlock(index, type, Map.of(), null, "no matching '" + endMarker + "' line"));
                break;
            }
            blocks.add(parseBody(index, type, text.substring(begin.end(), end)));
            from = end + endMarker.length();
        }
        return blocks;
    }

    private static PemBlock parseBody(int index, String type, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        StringBuilder base64 = new StringBuilder();
        for (String line : body.split("\\r?\\n")) {
            String l = line.strip();
            int colon = l.indexOf(':');
            if (colon > 0 && base64.length() == 0) {
                headers.put(l.substring(0, colon).strip(), l.substring(colon + 1).strip());
            } else {
                base64.append(l);
            }
        }
        try {
            return new PemBlock(index, type, Map.copyOf(headers), Base64.getDecoder().decode(base64.toString()), null);
        } catch (IllegalArgumentException e) {
            return new PemBlock(index, type, Map.copyOf(headers), null, "body is not valid base64");
        }
    }

    @Override
    public String toString() {
        return "block " + index + " (" + type + ")";
    }
}
