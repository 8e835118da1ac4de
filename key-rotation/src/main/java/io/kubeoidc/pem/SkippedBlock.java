package io.kubeoidc.pem;

/** A PEM block that yields no usable key, and why. kube-apiserver skips these silently; we say so. */
public record SkippedBlock(int index, String type, String reason) {

    /** An "EC PARAMETERS" block (openssl ecparam prints one before the key): expected, not a loss. */
    public boolean harmless() {
        return reason.startsWith(PemKeyReader.EC_PARAMETERS);
    }

    @Override
    public String toString() {
        return "block " + index + " (" + type + "): " + reason;
    }
}
