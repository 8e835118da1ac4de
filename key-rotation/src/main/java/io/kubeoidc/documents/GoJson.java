package io.kubeoidc.documents;

/**
 * The few bits of Go's encoding/json output format we must reproduce byte for byte: compact
 * output and its string escaping, including HTML-safe escapes of '<', '>' and '&', and U+2028/9.
 * Jackson or Gson would reorder nothing here but escape differently, which changes the bytes
 * (and the ETag) that relying parties and mirrors compare.
 */
final class GoJson {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder out = new StringBuilder(512);
    private boolean needComma;

    GoJson beginObject() {
        comma();
        out.append('{');
        needComma = false;
        return this;
    }

    GoJson endObject() {
        out.append('}');
        needComma = true;
        return this;
    }

    GoJson beginArray() {
        comma();
        out.append('[');
        needComma = false;
        return this;
    }

    GoJson endArray() {
        out.append(']');
        needComma = true;
        return this;
    }

    GoJson name(String name) {
        comma();
        string(name);
        out.append(':');
        needComma = false;
        return this;
    }

    GoJson value(String value) {
        comma();
        string(value);
        needComma = true;
        return this;
    }

    GoJson member(String name, String value) {
        return name(name).value(value);
    }

    GoJson stringArray(String name, Iterable<String> values) {
        name(name).beginArray();
        for (String v : values) {
            value(v);
        }
        return endArray();
    }

    byte[] toBytes() {
        return out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private void comma() {
        if (needComma) {
            out.append(',');
        }
    }

    /** encoding/json encodeState.string (Go 1.22+, which added the \b and \f short forms). */
    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                case '<': case '>': case '&': case '\u2028': case '\u2029': unicode(c); break;
                default:
                    if (c < 0x20) {
                        unicode(c);
                    } else if (Character.isSurrogate(c)) {
                        // Go replaces invalid UTF-8 with U+FFFD; a lone surrogate is Java's equivalent.
                        if (Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else {
                            unicode('\ufffd');
                        }
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    private void unicode(char c) {
        out.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
    }
}
