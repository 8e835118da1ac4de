package io.kubeoidc.pem;

/** A PEM block that yields no usable key, and why. kube-apiserver skips these silently; we say so. */
public record SkippedBlock(int index, String type, String reason) {
    @Override
    public String toString() {
        return "block " + index + " (" + type + "): " + reason;
    }
}
