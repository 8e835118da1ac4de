package io.kubeoidc.service.migrate;

/** Untrusted strings on their way to a terminal, a Markdown file or a shell comment. */
final class Text {
    private Text() {}

    /** Control characters (line breaks, escape sequences) become '?', so a value cannot forge lines or colours. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) || c == 0x2028 || c == 0x2029 ? '?' : c));
        return b.toString();
    }
}
